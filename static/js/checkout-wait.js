// While Stripe's word that the payment went through is on its way, look again every few seconds without
// reloading the page, and move on once there is news: the booking's own page, or what became of the payment.
// Nothing on the page moves while it waits. Without scripts, the page's "Check now" link looks again.
(function () {
  var waiting = document.querySelector("[data-checkout-waiting]");
  if (!waiting || !window.fetch) return;
  var heading = document.querySelector("h1").textContent;
  function later() {
    setTimeout(look, 3000);
  }
  function look() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.redirected) {
          window.location.assign(response.url); // booked: its page
          return;
        }
        return response.text().then(function (html) {
          var now = new DOMParser().parseFromString(html, "text/html").querySelector("h1");
          if (now && now.textContent !== heading) {
            window.location.reload(); // the payment failed, or is processing
          } else {
            later();
          }
        });
      })
      .catch(later);
  }
  later();
})();
