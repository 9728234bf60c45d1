import { ApiError, describeError } from './api.js';
import { $, formatValue, h } from './dom.js';

const BASE = '/v1/analyst/weight-sets';

/**
 * The weight sets (`GET /v1/analyst/weight-sets`) with an active marker, each one's diff to its
 * parent (`GET …/{id}`), an activate button (`POST …/{id}/activate`) and the creation form
 * (`POST …`, a 400's field paths and reasons listed under it). `onChange(sets)` runs after every
 * load, so other sections follow the list.
 */
export function createWeightSetsSection(api, onChange) {
  const message = (text) => {
    $('#weight-set-message').textContent = text;
  };

  async function load() {
    const { weightSets } = await api.get(BASE);
    $('#weight-set-rows').replaceChildren(...weightSets.map(row));
    onChange(weightSets);
    return weightSets;
  }

  function row(set) {
    const activate = h(
      'button',
      { type: 'button', 'data-action': 'activate', disabled: set.active },
      'Activate',
    );
    activate.addEventListener('click', () => void activateSet(set));
    const diff = h('button', { type: 'button', 'data-action': 'diff' }, 'Diff');
    diff.addEventListener('click', () => void showDiff(set.id));
    return h(
      'tr',
      { 'data-weight-set-id': set.id, 'data-active': String(set.active) },
      h('td', { class: 'number' }, String(set.version)),
      h('td', {}, set.name),
      h('td', { class: 'number' }, set.id),
      h('td', { class: 'number' }, set.parentId ?? '–'),
      h('td', { class: 'number' }, String(set.runs)),
      h('td', {}, new Date(set.createdAt).toISOString().slice(0, 16).replace('T', ' ')),
      h('td', {}, set.active ? h('span', { class: 'active-marker' }, 'active') : ''),
      h('td', {}, diff, ' ', activate),
    );
  }

  async function showDiff(id) {
    try {
      const { weightSet, parent, diff } = await api.get(`${BASE}/${id}`);
      const title =
        parent === null
          ? `Version ${String(weightSet.version)} (${weightSet.name}) has no parent.`
          : `Version ${String(weightSet.version)} (${weightSet.name}) against its parent, version ${String(parent.version)}:`;
      $('#weight-set-diff').replaceChildren(
        h('p', {}, title),
        diff.length === 0
          ? h('p', { class: 'hint' }, 'No parameter differs.')
          : h(
              'table',
              { 'data-diff-of': weightSet.id },
              h(
                'thead',
                {},
                h('tr', {}, h('th', {}, 'parameter'), h('th', {}, 'parent'), h('th', {}, 'this set')),
              ),
              h(
                'tbody',
                {},
                diff.map((change) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, change.path),
                    h('td', {}, formatValue(change.old)),
                    h('td', {}, formatValue(change.new)),
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      message(describeError(error));
    }
  }

  async function activateSet(set) {
    try {
      const { changed } = await api.post(`${BASE}/${set.id}/activate`);
      message(
        changed
          ? `Version ${String(set.version)} is active: the next nightly run uses it.`
          : `Version ${String(set.version)} was already active.`,
      );
      await load();
    } catch (error) {
      message(describeError(error));
    }
  }

  async function create(event) {
    event.preventDefault();
    const errors = $('#create-errors');
    errors.replaceChildren();
    let params;
    try {
      params = JSON.parse($('#create-params').value);
    } catch (error) {
      errors.append(h('li', {}, `params: not valid JSON (${error.message})`));
      return;
    }
    const note = $('#create-note').value.trim();
    try {
      const created = await api.post(BASE, {
        name: $('#create-name').value,
        params,
        ...(note !== '' && { note }),
      });
      message(`Created version ${String(created.weightSet.version)} (id ${created.weightSet.id}).`);
      await load();
      await showDiff(created.weightSet.id);
    } catch (error) {
      errors.append(h('li', {}, describeError(error)));
      if (error instanceof ApiError) {
        for (const detail of error.details) {
          errors.append(h('li', { 'data-path': detail.path }, `${detail.path}: ${detail.message}`));
        }
      }
    }
  }

  $('#create-weight-set').addEventListener('submit', (event) => void create(event));
  return { load };
}
