// Sets the colour theme before the page first paints, so that a dark screen never flashes
// white: the choice stored by Settings ("magpie.theme"), else the system's. From then on the
// app's src/state/theme.ts owns it (and follows system changes). A file of its own because the
// page's Content-Security-Policy allows no inline script.
(function () {
  var choice = null;
  try { choice = window.localStorage.getItem("magpie.theme"); } catch (e) { /* private mode */ }
  var system = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var dark = choice === "dark" || (choice !== "light" && system);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
