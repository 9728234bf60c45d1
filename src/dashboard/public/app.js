/* global atob, document */
import { createApi, describeError, tokenStore } from './api.js';
import { $ } from './dom.js';
import { createEvaluationSection } from './evaluation.js';
import { showMetrics } from './metrics.js';
import { showRuns } from './runs.js';
import { createWeightSetsSection } from './weight-sets.js';

// The page: sign in with a pasted token (kept in session storage), then load every section from
// the analyst API. A 401 or 403 anywhere signs out with a message that says why.

/** The token's `sub` and `role`, for display only: the API checks the signature. */
function claimsOf(token) {
  try {
    const part = token.split('.')[1].replaceAll('-', '+').replaceAll('_', '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

const AUTH_ADVICE = {
  401: 'The token was refused: it is malformed, expired, or signed for another server. Paste a fresh one.',
  403: 'This token may not use the analyst API: it needs the role analyst or admin.',
};

function showAuthError(error) {
  const advice = AUTH_ADVICE[error.status] ?? '';
  const alert = $('#auth-error');
  alert.textContent = `${advice} (${describeError(error)})`;
  alert.dataset.status = String(error.status);
  alert.hidden = false;
  signOut();
}

function signOut() {
  tokenStore.clear();
  $('#dashboard').hidden = true;
  $('#session').hidden = true;
  $('#sign-in').hidden = false;
}

const api = createApi(showAuthError);
const evaluation = createEvaluationSection(api);
const weightSets = createWeightSetsSection(api, (sets) => evaluation.setWeightSets(sets));

async function signIn() {
  const token = tokenStore.get();
  if (token === null) {
    signOut();
    return;
  }
  const { sub, role } = claimsOf(token);
  $('#session-who').textContent = `${String(sub ?? '?')} (${String(role ?? '?')})`;
  try {
    // The weight sets first: a refused token stops here, before anything is shown.
    await weightSets.load();
    $('#auth-error').hidden = true;
    $('#sign-in').hidden = true;
    $('#session').hidden = false;
    $('#dashboard').hidden = false;
    const runs = await showRuns(api);
    await showMetrics(api, runs);
    await evaluation.loadHistory();
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error.status !== 401 && error.status !== 403) {
      const alert = $('#auth-error');
      alert.textContent = `Could not load the dashboard: ${describeError(error)}`;
      alert.hidden = false;
    }
  }
}

$('#sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  tokenStore.set($('#token').value.trim());
  $('#token').value = '';
  void signIn();
});
$('#sign-out').addEventListener('click', signOut);
void signIn();
