// Follows a queued or running briefing: every few seconds it fetches this page again and puts its fresh
// part ([data-follow-seconds], found by id) in place. Unlike a page that reloads itself, nothing moves
// under the reader's focus and a screen reader is not sent back to the top; a polite live region says
// when the state changes. Without this script the page says to reload it. A static file, not inline
// code: the Content-Security-Policy allows scripts from 'self' only.
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector("[data-follow-seconds]");
  if (!first) return;
  const id = first.id;
  const live = document.getElementById("follow-live");
  const wait = (element) => 1000 * (Number(element.dataset.followSeconds) || 3);

  const tick = async () => {
    const current = document.getElementById(id);
    if (!current) return;
    let next = current;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById(id);
        if (fresh) {
          current.replaceWith(fresh);
          next = fresh;
          if (live && fresh.dataset.followState !== current.dataset.followState) {
            live.textContent = fresh.dataset.followState || "";
          }
        }
      }
    } catch (error) {
      // The server did not answer this time; the next try may reach it.
    }
    if (next.dataset.followSeconds) setTimeout(tick, wait(next));
  };
  setTimeout(tick, wait(first));
});
