// After django-otp-webauthn has registered a passkey, show the sign-in security page, which lists it.
document.addEventListener("otp_webauthn.register_complete", () => {
  const done = document.getElementById("passkey-done");
  if (done && done.dataset.url) {
    window.location.assign(done.dataset.url);
  }
});
