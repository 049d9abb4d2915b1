// SPDX-License-Identifier: Apache-2.0
// report-browser.mjs - open a credwatch report in Debian's chromium (headless,
// driven over the DevTools protocol by playwright-core) and write what a test
// needs to judge it as JSON: every request the page made, every console
// message and page error, every dialog (alert() from an injected script), and
// facts read from the live DOM (graph nodes and edges, alert rules and their
// linked events, findings and fixes, nodes, elements and attributes present).
// Optionally saves a screenshot.
//
//   node tests/lib/report-browser.mjs REPORT.html OUT.json [SCREENSHOT.png]
// Environment: PLAYWRIGHT_MODULES (node_modules holding playwright-core, from
// tests/lib/get-playwright.sh), CHROMIUM (default /usr/lib/chromium/chromium,
// else /usr/bin/chromium). Exits 0 when the page loaded and the JSON was
// written, whatever the page did; the test decides.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [report, out, shot] = process.argv.slice(2);
if (!report || !out) {
	console.error('usage: report-browser.mjs REPORT.html OUT.json [SCREENSHOT.png]');
	process.exit(2);
}
const modules = process.env.PLAYWRIGHT_MODULES;
if (!modules) {
	console.error('report-browser: PLAYWRIGHT_MODULES is not set (tests/lib/get-playwright.sh)');
	process.exit(2);
}
const require = createRequire(join(modules, 'noop.js'));
const { chromium } = require('playwright-core');
const exe = process.env.CHROMIUM ||
	['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));
if (!exe) {
	console.error('report-browser: no chromium (Debian package chromium; make deps)');
	process.exit(1);
}

const url = pathToFileURL(resolve(report)).href;
const profile = mkdtempSync(join(tmpdir(), 'cw-report-chromium-'));
const facts = { url, requests: [], console: [], pageErrors: [], dialogs: [] };
let context;
try {
	// a new, empty profile: nothing cached or configured from another run
	context = await chromium.launchPersistentContext(profile, {
		executablePath: exe,
		headless: true,
		timeout: 60000,
		viewport: { width: 1400, height: 1000 },
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		       '--disable-background-networking', '--disable-component-update', '--disable-sync',
		       '--disable-dev-shm-usage'],
	});
	const page = context.pages()[0] || await context.newPage();
	page.on('request', (r) => {
		if (r.url() !== url)
			facts.requests.push({ url: r.url(), type: r.resourceType() });
	});
	page.on('console', (m) => facts.console.push({ type: m.type(), text: m.text() }));
	page.on('pageerror', (e) => facts.pageErrors.push(String(e)));
	page.on('dialog', async (d) => {
		facts.dialogs.push({ type: d.type(), message: d.message() });
		await d.dismiss();
	});
	await page.goto(url, { waitUntil: 'load', timeout: 60000 });
	await page.waitForTimeout(300);	// a late timer or image load would show up here
	Object.assign(facts, await page.evaluate(() => {
		const text = (el) => (el ? el.textContent : null);
		const all = [...document.querySelectorAll('*')];
		const onAttrs = [];
		for (const el of all)
			for (const a of el.attributes)
				if (a.name.toLowerCase().startsWith('on'))
					onAttrs.push(`${el.tagName}[${a.name}]`);
		const rows = (sel) => [...document.querySelectorAll(sel)].map((tr) =>
			[...tr.querySelectorAll('td')].map((td) => td.textContent));
		return {
			title: document.title,
			csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')
				?.getAttribute('content'),
			headerBackground: getComputedStyle(document.querySelector('header')).backgroundColor,
			tags: [...new Set(all.map((el) => el.tagName.toLowerCase()))].sort(),
			scripts: document.querySelectorAll('script').length,
			onAttributes: onAttrs,
			pwned: typeof window.__cwpwned,
			ids: all.filter((el) => el.id).map((el) => el.id),
			hrefs: [...document.querySelectorAll('[href]')].map((a) => a.getAttribute('href')),
			titleAttrs: [...document.querySelectorAll('[title]')].map((e) => e.getAttribute('title')),
			cards: [...document.querySelectorAll('.card')].map((c) => c.textContent),
			integrity: text(document.getElementById('integrity-status')),
			edges: [...document.querySelectorAll('svg.graph path.edge')].map((p) => ({
				cls: p.getAttribute('class'), title: text(p.querySelector('title')) })),
			nodes: [...document.querySelectorAll('svg.graph g.node')].map((g) => ({
				cls: g.getAttribute('class'), id: g.id, title: text(g.querySelector('title')),
				text: [...g.querySelectorAll('text')].map((t) => t.textContent) })),
			timelineRows: [...document.querySelectorAll('svg.tl text.lbl')].map((t) => t.textContent),
			rules: [...document.querySelectorAll('table.rules tr')].slice(1).map((tr) => {
				const a = tr.querySelector('a');
				const target = a && document.getElementById(a.getAttribute('href').slice(1));
				return {
					cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
					href: a && a.getAttribute('href'),
					events: target ? [...target.querySelectorAll('tr')].slice(1).map((r) =>
						[...r.querySelectorAll('td')].map((td) => td.textContent)) : null,
				};
			}),
			findings: [...document.querySelectorAll('article.finding')].map((a) => ({
				cls: a.getAttribute('class'), head: text(a.querySelector('h3')),
				summary: text(a.querySelector('p')),
				yaml: text(a.querySelector('pre.fix-yaml')),
				command: text(a.querySelector('pre.fix-command')) })),
			resolved: rows('table.resolved tr'),
			nodeRows: rows('table.nodes tr'),
			inputRows: rows('table.inputs tr'),
			bodyText: document.body.innerText,
		};
	}));
	if (shot)
		await page.screenshot({ path: shot, fullPage: false });
	await context.close();
	context = null;
} finally {
	if (context)
		await context.close().catch(() => {});
	rmSync(profile, { recursive: true, force: true });
}
writeFileSync(out, JSON.stringify(facts, null, 1));
