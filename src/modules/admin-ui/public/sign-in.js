/* global document, fetch, window */
// Sends the pasted token to POST /v1/admin/session, which sets the HttpOnly cookie that the queue
// dashboard accepts (a browser cannot add a bearer header when it navigates), then opens it.

const form = document.querySelector('#sign-in');
const message = document.querySelector('#message');
// The server writes its paths into the page, so that they are named once, in src/routes.ts.
const { session, board } = form.dataset;

/** The API's one error shape: `{ error: { code, message, details } }`. */
async function errorText(response) {
  const body = await response.json().catch(() => null);
  return body?.error?.message ?? `failed with status ${String(response.status)}`;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  message.textContent = '';
  const token = form.elements.namedItem('token').value.trim();
  const response = await fetch(session, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (response.status === 204) window.location.assign(board);
  else message.textContent = await errorText(response);
});

document.querySelector('#sign-out').addEventListener('click', async () => {
  const response = await fetch(session, { method: 'DELETE' });
  message.textContent = response.status === 204 ? 'Signed out.' : await errorText(response);
});
