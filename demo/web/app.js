// The demo shop's script. On the account page it does what a single-page
// app does: it reads the profile (a JSON API key, and a CSRF token in a
// response header) and sends both back to put an item in the cart.
(async () => {
  const cart = document.getElementById("cart");
  if (!cart) return;
  const profile = await fetch("/web/api/profile");
  const csrf = profile.headers.get("X-Csrf-Token");
  const { api_key } = await profile.json();
  const res = await fetch("/web/api/cart", {
    method: "POST",
    headers: { "Authorization": "Bearer " + api_key, "X-Csrf-Token": csrf, "Content-Type": "application/json" },
    body: JSON.stringify({ item: 3 }),
  });
  const body = await res.json();
  cart.textContent = res.ok ? "cart: item " + body.items.join(", ") : "cart: " + body.error;
  cart.dataset.ready = "1";
})();
