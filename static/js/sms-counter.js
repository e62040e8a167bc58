// The reply's character and segment counter, as the outbox will send the text (notifications/gsm.py): its spaces
// run together, after the clinic's name (data-prefix), in GSM-7 (typographic punctuation made plain, accents GSM-7
// lacks dropped, anything else "?"); 160 characters alone or 153 a segment once split, a character of the extended
// table taking two; a text outside GSM-7 would go as UCS-2, 70 units alone or 67 a segment. The alphabet comes from
// the server in the box's data attributes. Without scripts the server's count of the box as drawn stays, and the
// server refuses a reply that is too long whatever this says.
(function () {
  var box = document.querySelector("textarea.sms-text");
  if (!box) return;
  var shown = document.getElementById("id_text_count");
  var live = document.getElementById("id_text_count_live");
  var basic = new Set(Array.from(box.getAttribute("data-gsm-basic")));
  var extended = new Set(Array.from(box.getAttribute("data-gsm-extended")));
  var replacements = JSON.parse(box.getAttribute("data-gsm-replacements"));
  var prefix = box.getAttribute("data-prefix") || "";
  var most = Number(box.getAttribute("data-max-segments"));
  var quiet = null;

  function inGsm(c) { return basic.has(c) || extended.has(c); }
  function allIn(text, test) { return Array.from(text).every(test); }

  function toGsm7(text) {
    var out = [];
    for (var c of text) {
      if (Object.prototype.hasOwnProperty.call(replacements, c)) c = replacements[c];
      if (allIn(c, inGsm)) { out.push(c); continue; }
      var plain = c.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
      out.push(plain && allIn(plain, function (p) { return basic.has(p); }) ? plain : "?");
    }
    return out.join("");
  }

  function segments(text) {
    if (!allIn(text, inGsm)) {
      return text.length <= 70 ? 1 : Math.ceil(text.length / 67);  // UTF-16 units
    }
    var length = 0;
    for (var c of text) length += extended.has(c) ? 2 : 1;
    return length <= 160 ? 1 : Math.ceil(length / 153);
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function count(event) {
    var text = box.value.split(/\s+/).filter(Boolean).join(" ");
    var parts = segments(toGsm7(prefix + text));
    var told = plural(Array.from(text).length, "character") + " · " + plural(parts, "text message");
    if (parts > most) told += ": too long, " + most + " at most";
    var lost = [];
    for (var c of text) if (c !== "?" && toGsm7(c) === "?" && lost.indexOf(c) < 0) lost.push(c);
    if (lost.length) told += " · sent as “?”: " + lost.join(" ");
    shown.textContent = told;
    shown.classList.toggle("sms-count--over", parts > most);
    if (!event) return;
    // Screen readers hear the count once typing pauses, not at every key.
    clearTimeout(quiet);
    quiet = setTimeout(function () { live.textContent = told; }, 800);
  }

  box.addEventListener("input", count);
  count();
})();
