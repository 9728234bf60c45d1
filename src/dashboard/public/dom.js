/* global document */
// Small DOM and formatting helpers shared by the sections.

export const $ = (selector) => document.querySelector(selector);

/** `h('td', { class: 'number' }, '0.42')`: an element with attributes and children (strings become text). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

export const formatNumber = (value, digits = 3) =>
  value === null || value === undefined
    ? '–'
    : Number(value)
        .toFixed(digits)
        .replace(/\.?0+$/, '') || '0';

export const formatShare = (value) =>
  value === null || value === undefined ? '–' : `${(100 * value).toFixed(1)} %`;

export const formatValue = (value) => (value === null || value === undefined ? '–' : JSON.stringify(value));
