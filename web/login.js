// login.js: the login page (login.html; no key needed to load it). Posts a
// key, or the one-time link's ?token=, to /api/login, which sets the
// HttpOnly session cookie; then goes back to where the user was sent from.

const form = document.getElementById('login');
const keyIn = document.getElementById('key');
const message = document.getElementById('message');
const params = new URLSearchParams(location.search);

/* Only a path on this server: never a redirect elsewhere. */
function nextPath() {
	const n = params.get('next') || '/';
	return n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/\\') ? n : '/';
}

function show(text, isError = true) {
	message.textContent = text;
	message.className = isError ? 'banner' : 'muted';
}

async function login(body) {
	let r;
	try {
		r = await fetch('/api/login', {
			method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
			body: JSON.stringify(body), credentials: 'same-origin',
		});
	} catch (e) {
		show(`cannot reach the server (${e.message})`);
		return;
	}
	let answer = null;
	try { answer = await r.json(); } catch { /* not JSON */ }
	if (r.ok) {
		location.replace(nextPath());
		return;
	}
	const wait = r.headers.get('retry-after');
	show((answer?.error || `HTTP ${r.status}`) + (r.status === 429 && wait ? ` (wait ${wait} s)` : ''));
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	const key = keyIn.value.trim();
	if (key) login({ key });
});

const token = params.get('token');
if (token) {
	// the token is single-use: take it out of the address bar and history
	params.delete('token');
	history.replaceState(null, '', location.pathname + (params.size ? '?' + params : ''));
	show('Logging in with the link…', false);
	login({ token });
} else {
	fetch('/api/session', { headers: { accept: 'application/json' } })
		.then((r) => r.json())
		.then((s) => {
			if (!s.auth) show('Authentication is off on this server: no login needed.', false);
			else if (s.logged_in) show(`Logged in as ${s.name} (${s.scope}).`, false);
		})
		.catch(() => {});
	keyIn.focus();
}
