// palfa report: counts script errors into body[data-errors] and shows them
// in #js-errors (runs first, so that errors of the page's script count).
window.palfaErrors = [];
window.palfaShowErrors = function () {
  var b = document.body;
  if (!b) { return; }
  b.setAttribute('data-errors', String(window.palfaErrors.length));
  var el = document.getElementById('js-errors');
  if (el && window.palfaErrors.length) {
    el.hidden = false;
    el.textContent = window.palfaErrors.length + ' script error(s): ' + window.palfaErrors.join('; ');
  }
};
window.palfaNoteError = function (msg) {
  window.palfaErrors.push(String(msg));
  window.palfaShowErrors();
};
window.addEventListener('error', function (e) {
  window.palfaNoteError((e.message || 'error') + (e.lineno ? ' (line ' + e.lineno + ')' : ''));
});
window.addEventListener('unhandledrejection', function (e) {
  window.palfaNoteError('unhandled rejection: ' + e.reason);
});
document.addEventListener('DOMContentLoaded', window.palfaShowErrors);
