// The question fields an officer fills in, shared by the demo officer's form
// and the officer's home on their own key: the kind, its one or two
// parameters (labelled and defaulted from the generated kinds), and the
// account a balance question is about.
import { field, h, select } from "../dom";
import { buildPredicate, fieldsFor, PREDICATE_KINDS, type PredicateKind } from "../logic";

export interface QuestionFields {
  kind: HTMLSelectElement;
  a: HTMLInputElement;
  b: HTMLInputElement;
  /** The labelled fields, in form order (kind, a, b, account). */
  fields: HTMLElement[];
  /** The question as the form now reads. */
  read: () => ReturnType<typeof buildPredicate>;
}

export function questionFields(ids: { kind: string; a: string; b: string }, target: HTMLInputElement | HTMLSelectElement): QuestionFields {
  const kind = select(PREDICATE_KINDS.map((k) => ({ value: k.kind, label: k.label })), { id: ids.kind });
  const a = h("input", { id: ids.a, autocomplete: "off" });
  const b = h("input", { id: ids.b, autocomplete: "off" });
  const fa = field("Threshold", a), fb = field("To", b), ft = field("Account", target);
  const sync = () => {
    const f = fieldsFor(kind.value as PredicateKind);
    fa.hidden = !f.a; fb.hidden = !f.b; ft.hidden = !f.target;
    if (f.a) fa.querySelector("label")!.textContent = f.a;
    if (f.b) fb.querySelector("label")!.textContent = f.b;
    [a.value, b.value] = f.defaults;
  };
  kind.addEventListener("change", sync);
  sync();
  return {
    kind, a, b,
    fields: [field("Question", kind), fa, fb, ft],
    read: () => buildPredicate({ kind: kind.value as PredicateKind, a: a.value, b: b.value, target: target.value.trim() }),
  };
}
