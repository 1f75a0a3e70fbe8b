// Site behaviour: the narrow-screen menu and the pagefind search box.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Tables and code wider than their column scroll sideways: keyboard users must reach them.
  function focusableScrollers() {
    document.querySelectorAll("main table, main pre").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) {
        el.setAttribute("tabindex", "0");
      } else {
        el.removeAttribute("tabindex");
      }
    });
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);

  var toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("sidebar-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  var box = document.getElementById("search");
  if (!box || typeof window.PagefindUI !== "function") {
    return;
  }
  // Pagefind reports URLs from the site root; make them relative to this page so the site
  // works from any folder of a web server.
  var root = box.getAttribute("data-root") || "";
  function relative(url) {
    return url && url.charAt(0) === "/" ? root + url.slice(1) : url;
  }
  new window.PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    translations: {
      placeholder: box.getAttribute("data-placeholder") || "Search",
      zero_results: (box.getAttribute("data-no-results") || "No results") + ": [SEARCH_TERM]"
    },
    processResult: function (result) {
      result.url = relative(result.url);
      (result.sub_results || []).forEach(function (sub) { sub.url = relative(sub.url); });
      return result;
    }
  });
})();
