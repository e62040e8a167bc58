// The hold's countdown. The server decided how long is left (data-seconds-left); this only counts it down
// on the page, so a wrong clock on the phone changes nothing. Without scripts the page shows the end time.
(function () {
  var shown = document.querySelector(".hold-countdown");
  if (!shown) return;
  var ends = Date.now() + Number(shown.getAttribute("data-seconds-left")) * 1000;
  var timer = document.getElementById("hold-timer");
  function tick() {
    var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
    if (left === 0) {
      timer.textContent = shown.getAttribute("data-ended");
      timer.classList.add("notice");
      return;
    }
    var minutes = Math.floor(left / 60), seconds = left % 60;
    shown.textContent = " (" + minutes + ":" + (seconds < 10 ? "0" : "") + seconds + " " + shown.getAttribute("data-left") + ")";
    setTimeout(tick, 1000);
  }
  shown.hidden = false;
  tick();
})();
