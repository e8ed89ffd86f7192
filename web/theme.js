/* theme.js: sets the colour theme before the first paint (a stored choice,
 * else the system setting) so the page never flashes the wrong one. */
(function () {
	var t = localStorage.getItem('tracelite-theme');
	if (!t) t = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
	document.documentElement.dataset.theme = t;
})();
