// A tiny element builder: text is always set as text (never parsed as HTML);
// only the SVG strings of charts.ts, built from numbers and escaped labels,
// are inserted as markup.
import { adviceFor, type UiError } from "./logic";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function svgBox(svg: string, cls = "chart-box"): HTMLElement {
  const d = h("div", { class: cls });
  d.innerHTML = svg;
  return d;
}

/** An error box: the code, the message, and what to do. */
export function errorBox(e: UiError, testid = "error"): HTMLElement {
  return h(
    "div",
    { class: "error", role: "alert", "data-testid": testid, "data-code": e.code },
    h("strong", {}, `${e.code}: `),
    e.message,
    h("div", { class: "advice" }, adviceFor(e.code)),
  );
}

export function notice(text: string, testid = "notice"): HTMLElement {
  return h("div", { class: "notice", role: "status", "data-testid": testid }, text);
}

export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("div", { class: "hint" }, hint) : null);
}

export function select(options: { value: string; label: string }[], attrs: Attrs = {}): HTMLSelectElement {
  return h("select", attrs, ...options.map((o) => h("option", { value: o.value }, o.label)));
}

export function clear(el: HTMLElement, ...children: (Node | string)[]): void {
  el.replaceChildren(...children);
}

/** Run an action with its button disabled and a busy note; errors go to `out`. */
export async function act<T>(btn: HTMLButtonElement | null, out: HTMLElement, f: () => Promise<T>, busyText = "Working…"): Promise<T | undefined> {
  const label = btn?.textContent;
  if (btn) {
    btn.disabled = true;
    btn.textContent = busyText;
  }
  clear(out);
  try {
    return await f();
  } catch (e) {
    clear(out, errorBox(e as UiError));
    return undefined;
  } finally {
    if (btn) {
      btn.disabled = false;
      btn.textContent = label ?? "";
    }
  }
}
