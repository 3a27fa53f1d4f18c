// The dashboard in Debian's chromium, headless, on the seed programmes.
// Run by tests/tests/dashboard.rs (command 2), or by hand against the local
// stack after command 1:
//
//   LEDGER_UI=http://127.0.0.1:18080/ LEDGER_CONTROLLER_TOKEN="$(cat .stack/tokens/controller)" \
//   LEDGER_OPS_TOKEN="$(cat .stack/tokens/ops)" node --test tests/browser/dashboard.mjs
//
// Figures are checked against the API's own answers, formatted here by
// Intl.NumberFormat (an implementation independent of the dashboard's).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const UI = new URL(process.env.LEDGER_UI ?? "http://127.0.0.1:18080/");
const CONTROLLER = process.env.LEDGER_CONTROLLER_TOKEN;
const OPS = process.env.LEDGER_OPS_TOKEN;
const SHOTS = process.env.LEDGER_SCREENSHOTS ?? join(HERE, "../../target/dashboard");
assert.ok(CONTROLLER && OPS, "LEDGER_CONTROLLER_TOKEN and LEDGER_OPS_TOKEN are needed");
mkdirSync(SHOTS, { recursive: true });

const eur = (cents) => new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" }).format(cents / 100);
const eurEn = (cents) => new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" }).format(cents / 100);

async function api(path, token = CONTROLLER) {
  const response = await fetch(new URL(path, UI), { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
}

let browser;
let page;
const problems = []; // console errors, page errors, requests that left the API
const timings = [];
let baseline;

before(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--lang=fr-FR"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, locale: "fr-FR" });
  // Nothing may be fetched from anywhere but the ledger itself.
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin === UI.origin || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
    problems.push(`outside request: ${url}`);
    return route.abort();
  });
  page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
});

after(async () => {
  await browser?.close();
  if (timings.length && baseline) {
    // The baseline: the login page, the same page and scripts with no
    // request to the API, loaded the same way in the same browser.
    console.log(`page loads, navigation to every figure drawn (baseline: the login page, ${baseline} ms):`);
    for (const [name, ms] of timings) console.log(`  ${name.padEnd(28)} ${String(ms).padStart(5)} ms  ${(ms / baseline).toFixed(1)}× baseline`);
  }
});

/** Loads a page of the dashboard afresh and waits until it has drawn. */
async function open(hash, name) {
  await page.goto("about:blank"); // a whole load, not a change of hash
  const started = Date.now();
  await page.goto(new URL(`/ui/${hash}`, UI).toString());
  await waitDrawn(hash.replace(/^#\/?/, "").split(/[/?]/)[0] || "overview");
  timings.push([name ?? hash, Date.now() - started]);
}

async function waitDrawn(pageName) {
  await page.waitForFunction((p) => document.body.dataset.ready === p, pageName, { timeout: 15000 });
}

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const text = (selector) => page.locator(selector).innerText();

function noProblems() {
  const seen = [...new Set(problems.splice(0).map((p) => p.slice(0, 240)))];
  assert.deepEqual(seen, [], "no console error, no outside request");
}

test("the embedded uPlot is the version tests/browser/package.json pins", () => {
  for (const file of ["uPlot.iife.min.js", "uPlot.min.css"]) {
    const vendored = readFileSync(join(HERE, "../../services/api/ui/vendor", file));
    const pinned = readFileSync(join(HERE, "node_modules/uplot/dist", file));
    assert.ok(vendored.equals(pinned), `${file} differs from npm's: run tests/browser/vendor.sh`);
  }
});

test("a login page takes the token; a wrong one is refused", async () => {
  await page.goto(new URL("/", UI).toString());
  await waitDrawn("login");
  await page.fill("#token", "not-a-token");
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#login .error");
  assert.match(await text("#login .error"), /Jeton refusé/);
  problems.splice(0); // the browser logs the refused probe (401)
  await page.fill("#token", CONTROLLER);
  await page.click("#login button[type=submit]");
  await waitDrawn("overview");
  await shot("login-then-overview");
  noProblems();
});

test("overview: every funder and programme, to the cent, as the API says", async () => {
  await open("#/overview", "overview");
  const [programmes, byProgramme] = await Promise.all([api("/v1/programmes"), api("/v1/balances?group_by=programme")]);
  const cvl = byProgramme.balances.find((b) => b.key === "cvl-plan-urgence-sante");
  assert.equal(cvl.committed_cents, 2_000_000_000);
  const row = page.locator("#overview-table tr", { hasText: "Plan Urgence" }).first();
  const cells = await row.locator("td.num").allInnerTexts();
  assert.deepEqual(cells.slice(0, 7), [cvl.voted_cents, cvl.committed_cents, cvl.available_cents, cvl.paid_cents,
    cvl.remaining_to_pay_cents, cvl.recovery_ordered_cents, cvl.recovery_received_cents].map(eur));
  assert.equal(cells[1], "20\u202f000\u202f000,00\u00a0€", "the CVL programme committed to the cent");
  for (const p of programmes) {
    if (!byProgramme.balances.some((b) => b.key === p.programme_id)) continue;
    assert.ok(await page.locator("#overview-table", { hasText: p.funder_name }).count(), p.funder_name);
  }
  await shot("overview");
  noProblems();
});

test("the date pickers change the figures: as_of and known_at", async () => {
  await open("#/overview", "overview");
  await page.fill("#as-of", "2015-12-31");
  await page.click("#apply");
  await page.waitForFunction(() => location.hash.includes("as_of=2015-12-31") && document.body.dataset.ready === "overview");
  const cvl = (await api("/v1/balances?group_by=programme&as_of=2015-12-31")).balances.find((b) => b.key === "cvl-plan-urgence-sante");
  assert.equal(cvl.voted_cents, 1_200_000_000, "the AP of 2008 and 2013");
  const cells = await page.locator("#overview-table tr", { hasText: "Plan Urgence" }).first().locator("td.num").allInnerTexts();
  assert.equal(cells[0], eur(cvl.voted_cents));
  assert.equal(cells[0], "12\u202f000\u202f000,00\u00a0€");
  await shot("overview-2015");
  // Known at an instant before anything was recorded: nothing to show.
  await page.fill("#known-at", "2001-01-01T00:00:00");
  await page.click("#apply");
  await page.waitForFunction(() => location.hash.includes("known_at=2001-01-01T00%3A00%3A00Z") && document.body.dataset.ready === "overview");
  assert.match(await text("main"), /Aucune ligne/);
  await page.click("#reset");
  await page.waitForFunction(() => !location.hash.includes("as_of") && document.body.dataset.ready === "overview");
  assert.equal((await page.locator("#overview-table tr", { hasText: "Plan Urgence" }).first().locator("td.num").allInnerTexts())[1],
    eur(2_000_000_000));
  noProblems();
});

test("envelopes: a programme's envelopes with their balances, one click from the overview", async () => {
  await open("#/overview", "overview");
  await page.locator("#overview-table tr", { hasText: "Plan Urgence" }).first().getByRole("link", { name: "3 enveloppes" }).click();
  await waitDrawn("envelope");
  const { balances } = await api("/v1/balances?programme_id=cvl-plan-urgence-sante&group_by=envelope");
  const rows = page.locator("#envelopes-table tbody tr");
  assert.equal(await rows.count(), balances.length);
  assert.equal((await rows.nth(2).locator("td.num").allInnerTexts())[1], eur(balances[2].committed_cents));
  await rows.nth(2).locator("th a").click();
  await waitDrawn("envelope");
  assert.match(await page.evaluate(() => location.hash), new RegExp(`envelope/${balances[2].key}`));
  await page.goBack();
  await waitDrawn("envelope");
  await shot("envelopes");
  noProblems();
});

test("envelope: its figures, consumption by month, CP by fiscal year, grants paged", async () => {
  await open("#/envelope/cvl-msp-2018", "envelope cvl-msp-2018");
  const b = await api("/v1/envelopes/cvl-msp-2018/balance");
  const figures = await page.locator("#envelope-figures .figure").allInnerTexts();
  assert.deepEqual(figures, [eur(b.voted_cents), eur(b.committed_cents), eur(b.available_cents), eur(b.paid_cents),
    eur(b.remaining_to_pay_cents), String(b.grants)]);
  assert.equal(b.available_cents, 0, "committed to the last cent");
  assert.ok(await page.locator(".chart canvas").count() >= 1, "a chart is drawn");
  const years = (await api("/v1/balances?envelope_id=cvl-msp-2018&group_by=fiscal_year")).balances;
  const yearRows = await page.locator("#years-table tbody tr").allInnerTexts();
  assert.equal(yearRows.length, years.length);
  assert.ok(yearRows[0].includes(eur(years[0].paid_cents)));
  const grants = await api("/v1/grants?envelope_id=cvl-msp-2018&limit=25");
  assert.equal(await page.locator("#grants-table tbody tr").count(), 25);
  assert.match(await text("#grants-table tbody tr:first-child"), new RegExp(grants.grants[0].grant_id));
  await shot("envelope");
  await page.click("#next-page");
  await page.waitForFunction(() => location.hash.includes("after=") && document.body.dataset.ready === "envelope");
  const second = await api(`/v1/grants?envelope_id=cvl-msp-2018&limit=25&after=${grants.next}`);
  assert.match(await text("#grants-table tbody tr:first-child"), new RegExp(second.grants[0].grant_id));
  noProblems();
});

test("targets: 125 MSP open at 31/12/2025, reached, with their progress over time", async () => {
  await open("#/targets?as_of=2025-12-31", "targets at 2025-12-31");
  const card = page.locator('.target[data-target="msp-2025"]');
  assert.match(await card.innerText(), /125 \/ 125/);
  assert.match(await card.innerText(), /atteint/);
  assert.match(await card.innerText(), /31\/12\/2025/);
  assert.ok(await card.locator("canvas").count(), "its progress is charted");
  const salaried = page.locator('.target[data-target="salaried-2028"]');
  assert.match(await salaried.innerText(), /0 \/ 300/);
  assert.match(await salaried.innerText(), /non atteint/);
  await shot("targets");
  noProblems();
});

test("workforce: the Occitanie GIP's 66 staff by profession, its centres on a timeline", async () => {
  await open("#/workforce/occitanie-ma-sante-ma-region?as_of=2023-07-17", "workforce at 2023-07-17");
  assert.equal(await text("#headcount-total"), "66");
  const rows = Object.fromEntries((await api("/v1/headcounts?programme_id=occitanie-ma-sante-ma-region&group_by=profession&as_of=2023-07-17"))
    .map((r) => [r.key, String(r.headcount)]));
  assert.equal(rows.PROFESSION_GENERAL_PRACTITIONER, "44");
  assert.equal(rows.PROFESSION_MIDWIFE, "1");
  for (const [profession, headcount] of Object.entries(rows)) {
    const cells = await page.locator(`#profession-table tr[data-profession="${profession}"] td`).allInnerTexts();
    assert.equal(cells[0], headcount, profession);
  }
  const { centres } = await api("/v1/centres?programme_id=occitanie-ma-sante-ma-region&as_of=2023-07-17&limit=1000");
  assert.equal(await page.locator("#centres-table tbody tr").count(), centres.length);
  assert.equal(await page.locator(".timeline .mark").count(), centres.length);
  const { centres: opened } = await api("/v1/centres?programme_id=occitanie-ma-sante-ma-region&as_of=2023-07-17&open=true&limit=1000");
  assert.equal((await page.locator("#workforce-figures .figure").allInnerTexts())[2], String(opened.length));
  await shot("workforce");
  noProblems();
});

test("obligations: open, fulfilled and breached, with the recoveries", async () => {
  await open("#/obligations?state=fulfilled", "obligations fulfilled");
  assert.match(await text("#obligations-table"), /obl-cd41-aide-installation-1/);
  const totals = (await api("/v1/balances")).balances[0];
  const figures = await page.locator("#recovery-figures .figure").allInnerTexts();
  assert.equal(figures[0], eur(totals.recovery_ordered_cents));
  assert.equal(figures[4], eur(totals.recovery_outstanding_cents));
  await page.click("#state-breached");
  await page.waitForFunction(() => location.hash.includes("state=breached") && document.body.dataset.ready === "obligations");
  const breached = await api("/v1/obligations?state=breached");
  assert.equal(await page.locator("#obligations-table tbody tr").count(), breached.obligations.length);
  await shot("obligations");
  noProblems();
});

test("audit: from a figure to its journal lines, the CSV, and from a line to its event", async () => {
  await open("#/overview", "overview");
  await page.locator("#overview-table tr", { hasText: "Plan Urgence" }).first().locator("td.num a").first().click();
  await waitDrawn("journal");
  assert.match(decodeURIComponent(await page.evaluate(() => location.hash)), /programme_id=cvl-plan-urgence-sante.*account=authorised/);
  const lines = await api("/v1/journal?programme_id=cvl-plan-urgence-sante&account=authorised");
  assert.equal(await page.locator("#journal-table tbody tr").count(), lines.postings.length);
  // The voted figure is the sum of these lines, negated (credits of `authorised`).
  assert.equal(-lines.postings.reduce((s, p) => s + p.amount_cents, 0), 2_000_000_000);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
  assert.equal(csv.length, lines.postings.length + 1, "a header and every line");
  await shot("journal");
  await page.locator("#journal-table tbody tr:first-child a").click();
  await waitDrawn("event");
  const id = lines.postings[0].event_id;
  const e = await api(`/v1/events/${id}`);
  assert.equal(await text("#event-coordinates"), `${e.topic}:${e.partition}:${e.offset}`);
  assert.equal(await text("#event-hash"), e.hash);
  assert.match(e.hash, /^[0-9a-f]{64}$/);
  await shot("event");
  noProblems();
});

test("operations: the projection's status for the ops role, refused to a controller", async () => {
  await open("#/status", "status (controller)");
  assert.match(await text("#error"), /Réservé au rôle ops/);
  assert.equal(await page.locator("#nav-status").count(), 0, "no link to what the caller may not read");
  await page.click("#logout");
  await page.goto("about:blank");
  const started = Date.now();
  await page.goto(new URL("/ui/", UI).toString());
  await waitDrawn("login");
  baseline = Date.now() - started;
  await page.fill("#token", OPS);
  await page.click("#login button[type=submit]");
  // The nav offers what the token's roles may read; a token without the
  // controller role (as in the suite's) starts on the status.
  const { roles } = await api("/v1/me", OPS);
  if (roles.includes("controller")) {
    await waitDrawn("overview");
  } else {
    await waitDrawn("status");
    assert.deepEqual(await page.locator("#nav a").allInnerTexts(), ["Exploitation"]);
  }
  await open("#/status", "status (ops)");
  const status = await api("/v1/status", OPS);
  assert.equal(await page.locator("#partitions-table tbody tr").count(), status.partitions.length);
  assert.equal(await text("#health"), status.healthy ? "saine" : "en défaut");
  await shot("status");
  await page.click("#logout");
  await page.goto(new URL("/ui/", UI).toString());
  await waitDrawn("login");
  await page.fill("#token", CONTROLLER);
  await page.click("#login button[type=submit]");
  await waitDrawn("overview");
  noProblems();
});

test("keyboard, English and a narrow window", async () => {
  await open("#/overview", "overview");
  await page.reload(); // focus from the start of the page
  await waitDrawn("overview");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "skip");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "nav-overview");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "nav-targets");
  await page.keyboard.press("Enter");
  await waitDrawn("targets");
  await page.click("#lang");
  await waitDrawn("targets");
  assert.equal(await text("#nav-overview"), "Overview");
  await open("#/overview", "overview (English)");
  const cells = await page.locator("#overview-table tr", { hasText: "Plan Urgence" }).first().locator("td.num").allInnerTexts();
  assert.equal(cells[1], eurEn(2_000_000_000));
  await page.click("#lang");
  await waitDrawn("overview");
  await page.setViewportSize({ width: 420, height: 800 });
  await open("#/envelope/cvl-msp-2018", "envelope (narrow)");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page fits a narrow window (overflow ${overflow}px)`);
  await shot("envelope-narrow");
  await page.setViewportSize({ width: 1280, height: 800 });
  noProblems();
});
