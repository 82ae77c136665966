const VMAKey = {
  get: () => localStorage.getItem("vma.apiKey") || "",
  headers: (extra = {}) => { const k = VMAKey.get(); return k ? { ...extra, "X-API-Key": k } : extra; },
};
(() => {
  const input = document.getElementById("api-key");
  if (!input) return;
  input.value = VMAKey.get();
  input.addEventListener("change", () => {
    if (input.value) localStorage.setItem("vma.apiKey", input.value); else localStorage.removeItem("vma.apiKey");
    if (window.ui && window.ui.specActions) window.ui.specActions.download("/openapi.json");
    document.dispatchEvent(new Event("vma-key-changed"));
  });
})();
