type Attributes = Record<string, string>;
type Child = Node | string;

/** `h('p', { class: 'note' }, 'text', child)`: a small element builder for the dashboard. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}
