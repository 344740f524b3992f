// "My key": rotate the open identity's key. A borrower's rotation is a
// ledger entry; a member's staff rotate at their member's node. Either way
// the id stays, the keystore keeps the old key, and only the new one signs.
import { api, type OwnInfo } from "../api";
import { act, clear, errorBox, field, h, notice } from "../dom";
import { parseLeakDate } from "../logic";

export function keyCard(info: OwnInfo, reload: (flash?: HTMLElement) => Promise<void>): HTMLElement {
  const borrower = info.role === "borrower";
  const pass = h("input", { id: "rotate-pass", type: "password", autocomplete: "current-password" });
  const btn = h("button", { id: "rotate-key", type: "submit" }, "Rotate my key");
  const out = h("div", { class: "out", "aria-live": "polite" });
  const what = borrower
    ? "From the rotation on only the new key signs for you and new records are sealed to it; your keystore keeps the old key, so your older records still open."
    : `${info.via}'s node registers the new key and refuses the old one from then on; what you did stays under your id. Your keystore keeps the old key.`;
  const form = h("form", { class: "card", id: "my-key" }, h("h3", {}, "My key"),
    h("p", { class: "muted" }, `Replace your key with a new one; your id stays ${info.party.slice(0, 12)}…. ${what}`),
    field("Keystore passphrase", pass), btn, out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await act(btn, out, () => api.ownRotateKey(info.home, pass.value), "Rotating…");
    pass.value = "";
    if (r === undefined) return;
    const text = r.height !== null
      ? `Your key is rotated (block ${r.height}); your older records open with the key your keystore kept.`
      : `Your key is rotated at ${r.member}'s node; the old key is refused from now on.`;
    await reload(notice(text, "key-rotated"));
  });
  return form;
}

/** "My key leaked": rotate, declaring the old key compromised as of a day
 *  (the consents granted since are revoked and the regulator sees the
 *  incident), then re-seal every record still sealed only to it. */
export function leakCard(info: OwnInfo, reload: (flash?: HTMLElement) => Promise<void>): HTMLElement {
  const today = new Date().toISOString().slice(0, 10);
  const since = h("input", { id: "leak-since", value: today, autocomplete: "off" });
  const pass = h("input", { id: "leak-pass", type: "password", autocomplete: "current-password" });
  const btn = h("button", { id: "leak-declare", class: "danger", type: "submit" }, "My key leaked");
  const out = h("div", { class: "out", "aria-live": "polite" });
  const form = h("form", { class: "card", id: "my-leak" }, h("h3", {}, "If your key leaked"),
    h("p", { class: "muted" }, "Your key is replaced with a new one and the old one is declared leaked from the day you give: every consent given since that day is revoked, the regulator sees the incident, and each of your records is sealed again to your new key so that the leaked key opens none of them."),
    field("Leaked since", since, "YYYY-MM-DD"), field("Keystore passphrase", pass), btn, out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const t = parseLeakDate(since.value, Math.floor(Date.now() / 1000));
    if ("error" in t) {
      clear(out, errorBox({ code: "invalid-input", message: t.error }));
      return;
    }
    const r = await act(btn, out, () => api.ownDeclareLeaked(info.home, pass.value, t.ok), "Declaring and re-sealing…");
    pass.value = "";
    if (r === undefined) return;
    await reload(notice(`Your old key is declared leaked (block ${r.height}); ${r.resealed} record(s) re-sealed to your new key.`, "leak-declared"));
  });
  return form;
}
