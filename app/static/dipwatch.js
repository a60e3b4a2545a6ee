// Progressive enhancement only: every page works without it.
document.documentElement.classList.add("js");
// Filters apply as soon as a choice changes (without JavaScript, the Apply button does it).
document.querySelectorAll("form.filters select").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
