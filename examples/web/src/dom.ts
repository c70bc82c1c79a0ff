// Tiny DOM helpers: enough to build the pages without a framework.
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}

/** A form whose submit handler gets the named fields' values. */
export function form(id: string, fields: Array<{ name: string; label: string; type?: string; autocomplete?: string }>, submit: string, onSubmit: (values: Record<string, string>) => Promise<void>): HTMLFormElement {
  const element = h(
    'form',
    { id },
    ...fields.map((field) =>
      h('label', {}, field.label, h('input', { name: field.name, type: field.type ?? 'text', autocomplete: field.autocomplete ?? 'off', required: '' })),
    ),
    h('button', { type: 'submit' }, submit),
  );
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries([...new FormData(element)].map(([name, value]) => [name, typeof value === 'string' ? value : value.name]));
    void onSubmit(values);
  });
  return element;
}
