// The dashboard of the programme ledger (docs/dashboard.md).
//
// Every figure on a page is one the read API answered, formatted and never
// computed here: money arrives as integer cents and is written out with
// integer arithmetic (BigInt), never through a floating-point division.
// Charts plot floats, but their legends show the exact figures.

const TOKEN_KEY = "ledger.token";
const LANG_KEY = "ledger.lang";

// ---------------------------------------------------------------- words

const TEXT = {
  fr: {
    title: "Registre des programmes",
    overview: "Vue d’ensemble", envelope: "Enveloppe", targets: "Objectifs",
    workforce: "Effectifs", obligations: "Obligations", journal: "Audit", status: "Exploitation",
    as_of: "Date comptable", known_at: "Connu au (UTC)", apply: "Appliquer", today: "Aujourd’hui",
    logout: "Se déconnecter", other_lang: "English", skip: "Aller au contenu",
    login_title: "Connexion", login_help: "Collez votre jeton d’accès (rôle controller pour les chiffres, ops pour l’exploitation). Il reste dans cet onglet et disparaît à sa fermeture.",
    token: "Jeton d’accès", login: "Se connecter", login_refused: "Jeton refusé : inconnu ou révoqué.",
    session_expired: "Session expirée : jeton refusé.",
    at_date: "au", as_known_at: "tel que connu le", today_known: "aujourd’hui, tout ce qui est enregistré",
    funder: "Financeur", programme: "Programme", envelopes: "Enveloppes",
    voted: "AP/AE votées", committed: "Engagées", available: "Disponibles", paid: "Mandatées",
    remaining: "Restes à payer", cancelled: "Annulées", loans: "Prêts",
    rec_ordered: "Titres émis", rec_received: "Recouvrés", rec_outstanding: "Restant à recouvrer",
    rec_waived: "Remises gracieuses", rec_written_off: "Admissions en non-valeur",
    consumption: "Consommation", grants: "Subventions", grants_count: "Aides attribuées",
    overview_note: "Chaque montant est la somme des lignes du journal qui le justifient : cliquez-le pour les voir.",
    by_month: "Consommation par mois (cumulée)", voted_to_date: "Voté", committed_to_date: "Engagé", paid_to_date: "Mandaté",
    by_year: "Par exercice", fiscal_year: "Exercice", voted_year: "Voté dans l’exercice",
    committed_year: "Engagé dans l’exercice", paid_year: "Mandaté (CP) dans l’exercice", remaining_end: "Restes à payer au 31/12",
    cp_schedule: "Échéancier des CP", scheduled: "CP prévus", cp_paid: "CP mandatés",
    grant: "Aide", kind: "Nature", state: "État", awarded_on: "Attribuée le", deadline: "Échéance",
    next_page: "Page suivante", first_page: "Première page", choose_envelope: "Choisir une enveloppe",
    no_rows: "Aucune ligne.", target: "Objectif", actual: "Réalisé", reached: "atteint", not_reached: "non atteint",
    progress_over_time: "Progression dans le temps", by_deadline: "d’ici le", per_year: "par an", ratio: "ratio",
    year: "Année", step: "Pas", indicators: "Indicateurs observés", observed_on: "observé le", source: "source",
    choose_programme: "Programme", headcount: "Effectif", fte: "ETP", profession: "Profession", centre: "Centre",
    by_profession: "Par profession", by_centre: "Par centre", headcount_over_time: "Effectif par profession dans le temps",
    centres_opened: "Centres ouverts", opened_on: "Ouvert le", closed_on: "Fermé le", patients: "Patients vus (cumul)",
    consultations: "Consultations", total: "Ensemble",
    open: "en cours", fulfilled: "remplies", breached: "rompues", obligation: "Obligation", beneficiary: "Bénéficiaire",
    start: "Début", due: "Fin prévue", served: "Jours servis", owed: "Jours dus", recoveries: "Recouvrements",
    titres: "titres", filters: "Filtres", account: "Compte", subject: "Objet (aide, prêt, garantie)", search: "Chercher",
    csv: "Télécharger en CSV", seq: "N°", date: "Date", amount: "Montant", event: "Événement", debit: "débit", credit: "crédit",
    event_title: "Événement", coordinates: "Coordonnées Kafka", stream: "Flux", version: "Version", hash: "Empreinte (SHA-256)",
    prev_hash: "Empreinte précédente du flux", recorded_at: "Enregistré le", effective: "Date d’effet", content: "Contenu",
    lines_of_event: "Lignes du journal", first_of_stream: "premier événement du flux",
    projection: "Projection", healthy: "saine", unhealthy: "en défaut", lag: "Retard", partition: "Partition",
    next_offset: "Prochain offset", end_offset: "Fin", faults: "Arrêts sur un événement", outages: "Pannes de base attendues",
    none: "aucun", ops_only: "Réservé au rôle ops : ce jeton ne l’a pas.", controller_only: "Réservé au rôle controller : ce jeton ne l’a pas.",
    error: "Erreur", reason: "Raison", offset: "Offset", since: "depuis", until: "jusqu’au",
    all_envelopes: "Toutes les enveloppes",
  },
  en: {
    title: "Programme ledger",
    overview: "Overview", envelope: "Envelope", targets: "Targets",
    workforce: "Workforce", obligations: "Obligations", journal: "Audit", status: "Operations",
    as_of: "Accounting date", known_at: "Known at (UTC)", apply: "Apply", today: "Today",
    logout: "Log out", other_lang: "Français", skip: "Skip to content",
    login_title: "Log in", login_help: "Paste your access token (role controller for the figures, ops for operations). It stays in this tab and is gone when it closes.",
    token: "Access token", login: "Log in", login_refused: "Token refused: unknown or revoked.",
    session_expired: "Session expired: token refused.",
    at_date: "at", as_known_at: "as known at", today_known: "today, everything recorded",
    funder: "Funder", programme: "Programme", envelopes: "Envelopes",
    voted: "Voted (AP/AE)", committed: "Committed", available: "Available", paid: "Paid",
    remaining: "Remaining to pay", cancelled: "Cancelled", loans: "Loans",
    rec_ordered: "Recoveries ordered", rec_received: "Recovered", rec_outstanding: "Outstanding",
    rec_waived: "Waived", rec_written_off: "Written off",
    consumption: "Consumption", grants: "Grants", grants_count: "Grants awarded",
    overview_note: "Every amount is the sum of the journal lines behind it: click it to see them.",
    by_month: "Consumption by month (cumulative)", voted_to_date: "Voted", committed_to_date: "Committed", paid_to_date: "Paid",
    by_year: "By fiscal year", fiscal_year: "Fiscal year", voted_year: "Voted in the year",
    committed_year: "Committed in the year", paid_year: "Paid (CP) in the year", remaining_end: "Remaining to pay at 31/12",
    cp_schedule: "CP schedule", scheduled: "CP scheduled", cp_paid: "CP paid",
    grant: "Grant", kind: "Kind", state: "State", awarded_on: "Awarded on", deadline: "Deadline",
    next_page: "Next page", first_page: "First page", choose_envelope: "Choose an envelope",
    no_rows: "No rows.", target: "Target", actual: "Actual", reached: "reached", not_reached: "not reached",
    progress_over_time: "Progress over time", by_deadline: "by", per_year: "per year", ratio: "ratio",
    year: "Year", step: "Step", indicators: "Indicators observed", observed_on: "observed on", source: "source",
    choose_programme: "Programme", headcount: "Headcount", fte: "FTE", profession: "Profession", centre: "Centre",
    by_profession: "By profession", by_centre: "By centre", headcount_over_time: "Headcount by profession over time",
    centres_opened: "Centres opened", opened_on: "Opened on", closed_on: "Closed on", patients: "Patients seen (to date)",
    consultations: "Consultations", total: "All",
    open: "open", fulfilled: "fulfilled", breached: "breached", obligation: "Obligation", beneficiary: "Beneficiary",
    start: "Start", due: "Due", served: "Days served", owed: "Days owed", recoveries: "Recoveries",
    titres: "titres", filters: "Filters", account: "Account", subject: "Subject (grant, loan, guarantee)", search: "Search",
    csv: "Download CSV", seq: "No.", date: "Date", amount: "Amount", event: "Event", debit: "debit", credit: "credit",
    event_title: "Event", coordinates: "Kafka coordinates", stream: "Stream", version: "Version", hash: "Hash (SHA-256)",
    prev_hash: "Previous hash in the stream", recorded_at: "Recorded at", effective: "Effective date", content: "Content",
    lines_of_event: "Journal lines", first_of_stream: "first event of its stream",
    projection: "Projection", healthy: "healthy", unhealthy: "faulted", lag: "Lag", partition: "Partition",
    next_offset: "Next offset", end_offset: "End", faults: "Stopped at an event", outages: "Database outages waited out",
    none: "none", ops_only: "For the ops role: this token does not have it.", controller_only: "For the controller role: this token does not have it.",
    error: "Error", reason: "Reason", offset: "Offset", since: "since", until: "until",
    all_envelopes: "All envelopes",
  },
};

let lang = sessionStorage.getItem(LANG_KEY) === "en" ? "en" : "fr";
const t = (key) => TEXT[lang][key] ?? key;

// Contract names shown in words (the API speaks in enum names); English
// falls back to the name itself, lower-cased.
const NAMES = {
  fr: {
    PROFESSION_GENERAL_PRACTITIONER: "Médecins généralistes", PROFESSION_SPECIALIST: "Médecins spécialistes",
    PROFESSION_MIDWIFE: "Sages-femmes", PROFESSION_NURSE: "Infirmiers", PROFESSION_PHYSIOTHERAPIST: "Masseurs-kinésithérapeutes",
    PROFESSION_DENTIST: "Chirurgiens-dentistes", PROFESSION_PHARMACIST: "Pharmaciens", PROFESSION_MEDICAL_SECRETARY: "Secrétaires médicaux",
    PROFESSION_COORDINATOR: "Coordinateurs", PROFESSION_OTHER_PARAMEDICAL: "Autres paramédicaux", PROFESSION_MEDICAL_INTERN: "Internes en médecine",
    PROFESSION_PARAMEDICAL_STUDENT: "Étudiants paramédicaux", PROFESSION_ADVANCED_PRACTICE_NURSE: "Infirmiers en pratique avancée",
    CENTRE_KIND_MSP: "MSP", CENTRE_KIND_HEALTH_CENTRE: "Centre de santé", CENTRE_KIND_GROUP_PRACTICE: "Cabinet de groupe",
    CENTRE_KIND_SATELLITE: "Antenne",
    GRANT_KIND_SUBSIDY: "Subvention", GRANT_KIND_BURSARY: "Bourse", GRANT_KIND_ALLOWANCE: "Allocation d’études",
    GRANT_KIND_INSTALLATION_AID: "Aide à l’installation", GRANT_KIND_PRACTICE_AID: "Aide à l’exercice",
    GRANT_KIND_TELEMEDICINE: "Télémédecine", GRANT_KIND_OPERATING_FUNDING: "Aide de fonctionnement",
    TARGET_METRIC_MSP_OPEN: "MSP ouvertes", TARGET_METRIC_CENTRES_OPEN: "Centres ouverts",
    TARGET_METRIC_SALARIED_DOCTORS: "Médecins salariés", TARGET_METRIC_PROFESSIONALS_HOSTED: "Professionnels accueillis",
    TARGET_METRIC_PROFESSIONALS_TRAINED: "Professionnels formés", TARGET_METRIC_PROFESSIONALS_RECRUITED: "Professionnels recrutés",
    TARGET_METRIC_PATIENTS_SEEN: "Patients vus", TARGET_METRIC_GROUPING_MEMBERS: "Membres du groupement",
    active: "en cours", settled: "soldée", lapsed: "caduque", cancelled: "annulée", breached: "rompue",
    open: "en cours", fulfilled: "remplie",
  },
  en: {},
};
const name = (raw) => NAMES[lang][raw]
  ?? String(raw ?? "").replace(/^(GRANT_KIND|CENTRE_KIND|PROFESSION|TARGET_METRIC)_/, "").replaceAll("_", " ").toLowerCase();

// ---------------------------------------------------------------- formats

const NNBSP = "\u202f"; // French thousands separator, as Intl writes it
const NBSP = "\u00a0";

function digits(unsigned, separator) {
  return unsigned.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/** Integer cents as euros, exactly: `1 234 567,89 €` (fr), `€1,234,567.89` (en). */
export function euros(cents) {
  const value = BigInt(cents);
  const sign = value < 0n ? "−" : "";
  const abs = value < 0n ? -value : value;
  const units = (abs / 100n).toString();
  const rest = (abs % 100n).toString().padStart(2, "0");
  return lang === "fr"
    ? `${sign}${digits(units, NNBSP)},${rest}${NBSP}€`
    : `${sign}€${digits(units, ",")}.${rest}`;
}

export function count(n) {
  const value = BigInt(n);
  const abs = (value < 0n ? -value : value).toString();
  return (value < 0n ? "−" : "") + digits(abs, lang === "fr" ? NNBSP : ",");
}

/** Thousandths (FTE) as a decimal, trailing zeros dropped: 12500 → 12,5. */
function thousandths(n) {
  const value = BigInt(n);
  const units = count(value / 1000n);
  const rest = (value % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return rest ? `${units}${lang === "fr" ? "," : "."}${rest}` : units;
}

/** Basis points as a percentage: 5600 → 56 %, 1234 → 12,34 %. */
function basisPoints(n) {
  const value = BigInt(n);
  const rest = (value % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  const units = (value / 100n).toString();
  return `${units}${rest ? (lang === "fr" ? "," : ".") + rest : ""}${lang === "fr" ? NBSP : ""}%`;
}

/** An accounting date `YYYY-MM-DD` as `31/12/2025` (fr) or as is (en). */
function day(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.slice(0, 10).split("-");
  return lang === "fr" ? `${d}/${m}/${y}` : `${y}-${m}-${d}`;
}

/** An instant (UTC) as `31/12/2025 23:59:59 UTC`. */
function instant(iso) {
  if (!iso) return "—";
  return `${day(iso.slice(0, 10))} ${iso.slice(11, 19)} UTC`;
}

function month(key) {
  const [y, m] = key.split("-");
  return lang === "fr" ? `${m}/${y}` : `${y}-${m}`;
}

// ---------------------------------------------------------------- DOM

/** An element with attributes and children; text is always text, never HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    // Through the CSSOM: a style attribute would break the page's CSP.
    else if (key === "style") Object.assign(el.style, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const num = (text, attrs = {}) => h("td", { class: "num", ...attrs }, text);

function table(head, rows, attrs = {}) {
  if (!rows.length) return h("p", { class: "muted" }, t("no_rows"));
  return h("div", { class: "scroll" },
    h("table", attrs,
      h("thead", {}, h("tr", {}, head.map((c) => (typeof c === "string" ? h("th", { scope: "col" }, c) : c)))),
      h("tbody", {}, rows)));
}

// ---------------------------------------------------------------- routes

/** `#/page/arg?query` → its parts. */
function route() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const [page = "", ...rest] = path.split("/");
  return { page, arg: rest.map(decodeURIComponent).join("/"), query: new URLSearchParams(search) };
}

/** The dates every read is asked at, from the address (shareable). */
function when() {
  const q = route().query;
  return { as_of: q.get("as_of") || undefined, known_at: q.get("known_at") || undefined };
}

/** A link to a page that keeps the dates asked. */
function href(page, arg, extra = {}) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...when(), ...extra })) {
    if (value !== undefined && value !== null && value !== "") q.set(key, value);
  }
  const search = q.toString();
  return `#/${page}${arg ? "/" + encodeURIComponent(arg) : ""}${search ? "?" + search : ""}`;
}

const link = (text, page, arg, extra) => h("a", { href: href(page, arg, extra) }, text);

/** A figure that opens the journal lines behind it. */
function figure(cents, scope, account) {
  return num(link(euros(cents), "journal", "", { ...scope, account }));
}

// ---------------------------------------------------------------- API

class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}
class LoggedOut extends Error {}

const token = () => sessionStorage.getItem(TOKEN_KEY);

/** The caller's roles, asked once per login (`/v1/me`). */
let roles = null;

async function whoAmI() {
  roles ??= (await api("/v1/me")).roles;
  return roles;
}

/** The pages a caller's roles may read. */
function allowed(page) {
  return page === "status" ? roles.includes("ops") : roles.includes("controller");
}

async function request(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
  if (response.status === 401) {
    logout(t("session_expired"));
    throw new LoggedOut();
  }
  if (!response.ok) {
    let body = {};
    try { body = await response.json(); } catch { /* not the JSON error shape */ }
    throw new ApiFailure(response.status, body?.error?.code, body?.error?.message);
  }
  return response;
}

async function api(path, params = {}) {
  return (await request(path, params)).json();
}

/** Every page of a paged list (for small lists a page draws whole). */
async function all(path, params, field) {
  const rows = [];
  let after;
  do {
    const page = await api(path, { ...params, limit: 1000, after });
    rows.push(...page[field]);
    after = page.next;
  } while (after);
  return rows;
}

// ---------------------------------------------------------------- charts

/** Month `YYYY-MM` or day `YYYY-MM-DD` as the seconds uPlot plots. */
const seconds = (key) => Date.UTC(+key.slice(0, 4), +key.slice(5, 7) - 1, key.length > 7 ? +key.slice(8, 10) : 1) / 1000;

const COLOURS = ["#0b4f8a", "#c2410c", "#2f7d4a", "#7c3aed", "#8a6d00", "#a1221b", "#4a535e", "#0e7490"];

/**
 * A line chart: `keys` on the x axis (months or days), one series per
 * entry of `series` ({label, values, format}); the legend shows each
 * point's exact figure through `format`, the axis a scale.
 */
function lineChart(title, keys, series, { money = false, steps = false, keyLabel = month } = {}) {
  const box = h("figure", { class: "chart", "aria-label": title });
  if (!keys.length || typeof uPlot === "undefined") return box;
  const scale = money ? (v) => v / 100 : (v) => v;
  const data = [keys.map(seconds), ...series.map((s) => s.values.map((v) => (v === null ? null : scale(Number(v)))))];
  const draw = () => {
    const width = Math.max(280, Math.min(box.parentElement?.clientWidth ?? 900, 1100) - 8);
    box.replaceChildren();
    // uPlot draws in the page's own zone otherwise; the keys are UTC.
    const chart = new uPlot({
      width, height: 260, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: [
        { label: t("date"), value: (u, v, si, i) => (i === null || i === undefined ? "—" : keyLabel(keys[i])) },
        ...series.map((s, n) => ({
          label: s.label, stroke: s.colour ?? COLOURS[n % COLOURS.length], width: 2, dash: s.dash,
          paths: steps ? uPlot.paths.stepped({ align: 1 }) : undefined,
          value: (u, v, si, i) => (i === null || i === undefined || s.values[i] === null ? "—" : s.format(s.values[i])),
        })),
      ],
      axes: [
        { values: (u, ticks) => ticks.map((ts) => tick(ts, u.scales.x.max - u.scales.x.min)) },
        { size: 90, values: (u, ticks) => ticks.map((v) => (money ? compactEuros(v) : count(Math.round(v)))) },
      ],
      scales: { x: { time: true } },
    }, data, box);
    // The legend shows the latest point's exact figures until hovered.
    chart.setLegend({ idx: keys.length - 1 });
  };
  requestAnimationFrame(draw);
  return box;
}

/** A time axis tick: years over long spans, months, else days. */
function tick(ts, span) {
  const iso = new Date(ts * 1000).toISOString();
  if (span > 3 * 365 * 86400) return iso.slice(0, 4);
  if (span > 180 * 86400) return month(iso.slice(0, 7));
  return lang === "fr" ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}` : iso.slice(5, 10);
}

/** An axis tick (a scale, not a figure): 20 M€, 500 k€. */
function compactEuros(v) {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${(v / 1e6).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 1 })} M€`;
  if (abs >= 1e3) return `${(v / 1e3).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 0 })} k€`;
  return `${Math.round(v)} €`;
}

/** A stacked bar of an envelope's or programme's vote: paid, unpaid, loans, available, cancelled. */
function voteBar(b) {
  const voted = Number(b.voted_to_date_cents);
  const parts = [
    ["paid", b.paid_to_date_cents, t("paid")],
    ["unpaid", b.remaining_to_pay_cents, t("remaining")],
    ["paid", b.loans_cents, t("loans")],
    ["available", b.available_cents, t("available")],
    ["cancelled", b.cancelled_cents, t("cancelled")],
  ].filter(([, cents]) => Number(cents) > 0);
  const words = parts.map(([, cents, label]) => `${label} ${euros(cents)}`).join(", ");
  return h("div", { class: "bar", title: words, role: "img", "aria-label": words },
    voted > 0 ? parts.map(([cls, cents]) => h("span", { class: cls, style: { width: `${(100 * Number(cents)) / voted}%` } })) : []);
}

function barLegend() {
  return h("div", { class: "legend", "aria-hidden": "true" },
    [["paid", t("paid")], ["unpaid", t("remaining")], ["available", t("available")], ["cancelled", t("cancelled")]]
      .map(([cls, label]) => h("span", {}, h("i", { class: cls }), label)));
}

// ---------------------------------------------------------------- pages

function whenLine() {
  const w = when();
  if (!w.as_of && !w.known_at) return h("p", { class: "note" }, t("today_known"));
  return h("p", { class: "note" },
    w.as_of ? `${t("at_date")} ${day(w.as_of)}` : "",
    w.known_at ? ` — ${t("as_known_at")} ${instant(w.known_at)}` : "");
}

async function overview(main) {
  const w = when();
  const [programmes, byFunder, byProgramme] = await Promise.all([
    api("/v1/programmes", w),
    api("/v1/balances", { ...w, group_by: "funder" }),
    api("/v1/balances", { ...w, group_by: "programme" }),
  ]);
  const balanceOf = new Map(byProgramme.balances.map((b) => [b.key, b]));
  const funderName = new Map(programmes.map((p) => [p.funder, p.funder_name]));
  const row = (label, b, scope, cls) => h("tr", { class: cls },
    h("th", { scope: "row" }, label),
    figure(b.voted_cents, scope, "authorised"),
    figure(b.committed_cents, scope),
    figure(b.available_cents, scope, "available"),
    figure(b.paid_cents, scope, "paid"),
    figure(b.remaining_to_pay_cents, scope, "committed_unpaid"),
    figure(b.recovery_ordered_cents, scope, "recoveries"),
    figure(b.recovery_received_cents, scope, "recovered"),
    h("td", {}, voteBar(b)));
  const rows = [];
  for (const f of byFunder.balances) {
    rows.push(row(funderName.get(f.key) ?? f.key, f, { funder: f.key }, "group"));
    for (const p of programmes.filter((p) => p.funder === f.key)) {
      const b = balanceOf.get(p.programme_id);
      if (!b) continue;
      rows.push(row(h("span", {}, p.name, h("br"),
        link(`${count(p.envelopes.length)} ${t("envelopes").toLowerCase()}`, "envelope", "", { programme_id: p.programme_id })),
        b, { programme_id: p.programme_id }, "sub"));
    }
  }
  main.append(
    h("h1", {}, t("overview")), whenLine(), h("p", { class: "note" }, t("overview_note")), barLegend(),
    table([t("funder") + " / " + t("programme"), h("th", { class: "num" }, t("voted")), h("th", { class: "num" }, t("committed")),
      h("th", { class: "num" }, t("available")), h("th", { class: "num" }, t("paid")), h("th", { class: "num" }, t("remaining")),
      h("th", { class: "num" }, t("rec_ordered")), h("th", { class: "num" }, t("rec_received")), t("consumption")], rows,
    { id: "overview-table" }));
}

function envelopePicker(programmes, current) {
  const select = h("select", { id: "envelope-picker", "aria-label": t("choose_envelope"),
    onchange: (e) => { location.hash = href("envelope", e.target.value); } },
  h("option", { value: "" }, t("choose_envelope")),
  programmes.map((p) => h("optgroup", { label: `${p.funder_name} — ${p.name}` },
    p.envelopes.map((e) => h("option", { value: e.envelope_id, selected: e.envelope_id === current }, e.label)))));
  return h("div", { class: "filters" }, h("label", {}, t("envelope"), select));
}

async function envelope(main, id) {
  const w = when();
  const programmes = await api("/v1/programmes", w);
  main.append(h("h1", {}, t("envelope")), whenLine(), envelopePicker(programmes, id));
  if (!id) return envelopeList(main, programmes);
  const after = route().query.get("after") || undefined;
  const programme = programmes.find((p) => p.envelopes.some((e) => e.envelope_id === id));
  const [b, months, years, grants, etat] = await Promise.all([
    api(`/v1/envelopes/${encodeURIComponent(id)}/balance`, w),
    api("/v1/balances", { ...w, envelope_id: id, group_by: "month" }),
    api("/v1/balances", { ...w, envelope_id: id, group_by: "fiscal_year" }),
    api("/v1/grants", { ...w, envelope_id: id, limit: 25, after }),
    programme ? api("/v1/etat-ap-ae", { ...w, programme_id: programme.programme_id }) : Promise.resolve({ envelopes: [] }),
  ]);
  const scope = { envelope_id: id };
  const card = (label, content) => h("div", { class: "card" }, h("div", { class: "muted" }, label), h("div", { class: "figure" }, content));
  const money = (label, cents, account) => card(label, link(euros(cents), "journal", "", { ...scope, account }));
  main.append(
    h("h2", { id: "envelope-title" }, `${b.label} (${b.vote_reference})`),
    h("div", { class: "cards", id: "envelope-figures" },
      money(t("voted"), b.voted_cents, "authorised"), money(t("committed"), b.committed_cents),
      money(t("available"), b.available_cents, "available"), money(t("paid"), b.paid_cents, "paid"),
      money(t("remaining"), b.remaining_to_pay_cents, "committed_unpaid"),
      card(t("grants_count"), count(b.grants))));
  const rows = months.balances;
  main.append(h("h2", {}, t("by_month")), lineChart(t("by_month"), rows.map((r) => r.key), [
    { label: t("voted_to_date"), values: rows.map((r) => r.voted_to_date_cents), format: euros },
    { label: t("committed_to_date"), values: rows.map((r) => r.committed_to_date_cents), format: euros },
    { label: t("paid_to_date"), values: rows.map((r) => r.paid_to_date_cents), format: euros },
  ], { money: true, steps: true }));
  main.append(h("h2", {}, t("by_year")), table(
    [t("fiscal_year"), h("th", { class: "num" }, t("voted_year")), h("th", { class: "num" }, t("committed_year")),
      h("th", { class: "num" }, t("paid_year")), h("th", { class: "num" }, t("remaining_end"))],
    years.balances.map((y) => h("tr", {}, h("th", { scope: "row" }, y.key),
      figure(y.voted_cents, { ...scope, fiscal_year: y.key }, "authorised"),
      figure(y.committed_cents, { ...scope, fiscal_year: y.key }),
      figure(y.paid_cents, { ...scope, fiscal_year: y.key }, "paid"),
      num(euros(y.remaining_to_pay_cents)))), { id: "years-table" }));
  const ap = etat.envelopes?.find((r) => r.envelope_id === id);
  if (ap?.cp_schedule?.length) {
    main.append(h("h2", {}, t("cp_schedule")), table(
      [t("fiscal_year"), h("th", { class: "num" }, t("scheduled")), h("th", { class: "num" }, t("cp_paid"))],
      ap.cp_schedule.map((s) => h("tr", {}, h("th", { scope: "row" }, s.fiscal_year), num(euros(s.scheduled_cents)), num(euros(s.paid_cents))))));
  }
  main.append(h("h2", {}, t("grants")), table(
    [t("grant"), t("beneficiary"), t("kind"), t("state"), t("awarded_on"), t("deadline"), h("th", { class: "num" }, t("committed")),
      h("th", { class: "num" }, t("paid")), h("th", { class: "num" }, t("remaining"))],
    grants.grants.map((g) => h("tr", {},
      h("th", { scope: "row" }, link(g.grant_id, "journal", "", { subject_id: g.grant_id })),
      h("td", {}, g.purpose, h("br"), h("span", { class: "muted" }, g.beneficiary)),
      h("td", {}, name(g.kind)), h("td", {}, h("span", { class: `tag ${g.state === "active" ? "open" : g.state === "breached" ? "bad" : "ok"}` }, name(g.state))),
      h("td", {}, day(g.awarded_on)), h("td", {}, day(g.deadline)),
      num(euros(g.committed_cents)), num(euros(g.paid_cents)), num(euros(g.remaining_to_pay_cents)))),
  { id: "grants-table" }), pager(grants.next, "envelope", id));
}

/** Every envelope of a programme (or of all), each with its balance. */
async function envelopeList(main, programmes) {
  const w = when();
  const programmeId = route().query.get("programme_id") || undefined;
  const { balances } = await api("/v1/balances", { ...w, programme_id: programmeId, group_by: "envelope" });
  const label = new Map(programmes.flatMap((p) => p.envelopes.map((e) => [e.envelope_id, e])));
  const programme = programmes.find((p) => p.programme_id === programmeId);
  main.append(h("h2", {}, programme ? `${programme.funder_name} — ${programme.name}` : t("all_envelopes")), barLegend(),
    table([t("envelope"), h("th", { class: "num" }, t("voted")), h("th", { class: "num" }, t("committed")),
      h("th", { class: "num" }, t("available")), h("th", { class: "num" }, t("paid")), h("th", { class: "num" }, t("remaining")), t("consumption")],
    balances.map((b) => h("tr", {},
      h("th", { scope: "row" }, link(label.get(b.key)?.label ?? b.key, "envelope", b.key), h("br"),
        h("span", { class: "muted" }, label.get(b.key)?.vote_reference ?? "")),
      figure(b.voted_cents, { envelope_id: b.key }, "authorised"), figure(b.committed_cents, { envelope_id: b.key }),
      figure(b.available_cents, { envelope_id: b.key }, "available"), figure(b.paid_cents, { envelope_id: b.key }, "paid"),
      figure(b.remaining_to_pay_cents, { envelope_id: b.key }, "committed_unpaid"), h("td", {}, voteBar(b)))),
    { id: "envelopes-table" }));
}

function pager(next, page, arg, extra = {}) {
  const q = route().query;
  return h("div", { class: "pager" },
    q.get("after") ? h("a", { href: href(page, arg, { ...extra, after: undefined }) }, t("first_page")) : null,
    next ? h("a", { href: href(page, arg, { ...extra, after: next }), id: "next-page" }, t("next_page")) : null);
}

/** Year ends from `first` to the date asked (the last one the date itself). */
function yearEnds(first, last) {
  const ends = [];
  for (let y = +first.slice(0, 4); `${y}-12-31` < last; y++) ends.push(`${y}-12-31`);
  ends.push(last);
  return ends;
}

function todayIso() {
  return new Date().toISOString().slice(0, 10);
}

function targetFigure(target, value) {
  return target.shape === "TARGET_SHAPE_RATIO" ? basisPoints(value) : count(value);
}

async function targets(main) {
  const w = when();
  const [programmes, progress] = await Promise.all([api("/v1/programmes", w), api("/v1/targets", w)]);
  main.append(h("h1", {}, t("targets")), whenLine());
  const asOf = w.as_of ?? todayIso();
  // Progress over time: the same question at each year's end, up to the
  // deadline or the date asked, whichever comes first; every programme's
  // years asked at once.
  const withTargets = programmes
    .map((p) => ({ p, mine: progress.filter((g) => g.programme_id === p.programme_id) }))
    .filter(({ mine }) => mine.length)
    .map(({ p, mine }) => {
      const lastDeadline = mine.map((g) => g.deadline).sort().at(-1);
      const ends = yearEnds(p.period_start, asOf < lastDeadline ? asOf : lastDeadline);
      return { p, mine, ends, history: Promise.all(ends.map((d) => api("/v1/targets", { ...w, programme_id: p.programme_id, as_of: d }))) };
    });
  for (const { p, mine, ends, history: asked } of withTargets) {
    const history = await asked;
    main.append(h("h2", {}, `${p.funder_name} — ${p.name}`));
    main.append(h("div", { class: "cards" }, mine.map((g) => {
      const series = history.map((answer) => answer.find((x) => x.target_id === g.target_id));
      return h("div", { class: "card target", "data-target": g.target_id },
        h("div", {}, h("strong", {}, name(g.metric)), " ",
          h("span", { class: `tag ${g.reached ? "ok" : "bad"}` }, g.reached ? t("reached") : t("not_reached"))),
        h("div", { class: "muted" }, g.description),
        h("div", { class: "figure" }, `${targetFigure(g, g.actual)} / ${targetFigure(g, g.target)}`),
        h("div", { class: "muted" },
          g.shape === "TARGET_SHAPE_FLOW_PER_YEAR" ? `${t("per_year")}, ${t("until")} ${day(g.deadline)}` : `${t("by_deadline")} ${day(g.deadline)}`),
        g.years?.length ? table([t("year"), h("th", { class: "num" }, t("step")), h("th", { class: "num" }, t("actual")), ""],
          g.years.map((y) => h("tr", {}, h("td", {}, y.year), num(count(y.target)), num(count(y.actual)),
            h("td", {}, h("span", { class: `tag ${y.reached ? "ok" : "bad"}` }, y.reached ? t("reached") : t("not_reached")))))) : null,
        lineChart(`${t("progress_over_time")} — ${name(g.metric)}`, ends, [
          { label: t("actual"), values: series.map((x) => x?.actual ?? null), format: (v) => targetFigure(g, v) },
          { label: t("target"), values: series.map((x) => x?.target ?? null), format: (v) => targetFigure(g, v), colour: "#4a535e", dash: [6, 4] },
        ], { keyLabel: day }),
        g.indicators?.length ? h("div", {}, h("div", { class: "muted" }, t("indicators")),
          h("ul", {}, g.indicators.map((i) => h("li", {}, `${i.description} : `,
            h("strong", {}, i.unit === "INDICATOR_UNIT_BASIS_POINTS" ? basisPoints(i.value) : i.unit === "INDICATOR_UNIT_CENTS" ? euros(i.value) : count(i.value)),
            ` (${t("observed_on")} ${day(i.observed_on)}, ${t("source")} : ${i.source})`)))) : null);
    })));
  }
}

function programmePicker(programmes, current, page) {
  return h("div", { class: "filters" }, h("label", {}, t("choose_programme"),
    h("select", { id: "programme-picker", onchange: (e) => { location.hash = href(page, e.target.value); } },
      programmes.map((p) => h("option", { value: p.programme_id, selected: p.programme_id === current }, `${p.funder_name} — ${p.name}`)))));
}

/** Quarter ends from `first` to `last`, `last` itself the final point. */
function quarterEnds(first, last) {
  const ends = [];
  let [y, m] = [+first.slice(0, 4), Math.floor((+first.slice(5, 7) - 1) / 3) * 3 + 3];
  for (;;) {
    const end = `${y}-${String(m).padStart(2, "0")}-${m === 3 || m === 12 ? 31 : 30}`;
    if (end >= last) break;
    ends.push(end);
    [y, m] = m === 12 ? [y + 1, 3] : [y, m + 3];
  }
  ends.push(last);
  return ends;
}

async function workforce(main, id) {
  const w = when();
  const programmes = await api("/v1/programmes", w);
  const programme = programmes.find((p) => p.programme_id === id) ?? programmes[0];
  main.append(h("h1", {}, t("workforce")), whenLine());
  if (!programme) return;
  main.append(programmePicker(programmes, programme.programme_id, "workforce"));
  const scope = { ...w, programme_id: programme.programme_id };
  const [total, byProfession, byCentre, centres, open] = await Promise.all([
    api("/v1/headcounts", scope),
    api("/v1/headcounts", { ...scope, group_by: "profession" }),
    api("/v1/headcounts", { ...scope, group_by: "centre" }),
    all("/v1/centres", scope, "centres"),
    all("/v1/centres", { ...scope, open: "true" }, "centres"),
  ]);
  const everyone = total[0];
  main.append(h("div", { class: "cards", id: "workforce-figures" },
    h("div", { class: "card" }, h("div", { class: "muted" }, t("headcount")), h("div", { class: "figure", id: "headcount-total" }, count(everyone?.headcount ?? 0))),
    h("div", { class: "card" }, h("div", { class: "muted" }, t("fte")), h("div", { class: "figure" }, thousandths(everyone?.fte_milli ?? 0))),
    h("div", { class: "card" }, h("div", { class: "muted" }, t("centres_opened")), h("div", { class: "figure" }, count(open.length)))));
  main.append(h("h2", {}, t("by_profession")), table([t("profession"), h("th", { class: "num" }, t("headcount")), h("th", { class: "num" }, t("fte"))],
    byProfession.map((r) => h("tr", { "data-profession": r.key }, h("th", { scope: "row" }, name(r.key)), num(count(r.headcount)), num(thousandths(r.fte_milli)))),
    { id: "profession-table" }));
  // Over time: the same question at each quarter's end since the first opening.
  const first = centres.map((c) => c.opened_on).sort()[0] ?? programme.period_start;
  const ends = quarterEnds(first, w.as_of ?? todayIso());
  const history = await Promise.all(ends.map((d) => api("/v1/headcounts", { ...scope, as_of: d, group_by: "profession" })));
  const professions = [...new Set(history.flatMap((a) => a.map((r) => r.key)))].sort();
  main.append(h("h2", {}, t("headcount_over_time")), lineChart(t("headcount_over_time"), ends,
    professions.map((p) => ({ label: name(p), values: history.map((a) => a.find((r) => r.key === p)?.headcount ?? 0), format: count })),
    { keyLabel: day, steps: true }));
  main.append(h("h2", {}, t("by_centre")), table([t("centre"), h("th", { class: "num" }, t("headcount")), h("th", { class: "num" }, t("fte"))],
    byCentre.map((r) => h("tr", {}, h("th", { scope: "row" }, centres.find((c) => c.centre_id === r.key)?.name ?? r.key), num(count(r.headcount)), num(thousandths(r.fte_milli))))));
  main.append(h("h2", {}, t("centres_opened")), timeline(centres), table(
    [t("centre"), t("kind"), t("opened_on"), t("closed_on"), h("th", { class: "num" }, t("patients")), h("th", { class: "num" }, t("consultations"))],
    centres.map((c) => h("tr", {}, h("th", { scope: "row" }, c.name), h("td", {}, name(c.kind)), h("td", {}, day(c.opened_on)),
      h("td", {}, c.closed_on ? day(c.closed_on) : "—"), num(count(c.patients_to_date)), num(count(c.consultations)))),
    { id: "centres-table" }));
}

/** Centres on a time axis: one mark per opening, the years below. */
function timeline(centres) {
  if (!centres.length) return null;
  const dates = centres.map((c) => c.opened_on).sort();
  const from = Date.UTC(+dates[0].slice(0, 4), 0, 1);
  const to = Date.UTC(+dates.at(-1).slice(0, 4) + 1, 0, 1);
  const at = (iso) => (100 * (seconds(iso) * 1000 - from)) / (to - from);
  const years = [];
  for (let y = +dates[0].slice(0, 4); y <= +dates.at(-1).slice(0, 4) + 1; y++) years.push(y);
  return h("div", { class: "timeline", role: "img", "aria-label": `${t("centres_opened")} : ${centres.length}` },
    centres.map((c) => h("span", { class: "mark", style: { left: `${at(c.opened_on)}%` }, title: `${c.name} — ${day(c.opened_on)}` })),
    years.map((y) => h("span", { class: "year", style: { left: `${at(`${y}-01-01`)}%` } }, y)));
}

async function obligations(main) {
  const w = when();
  const q = route().query;
  const state = ["open", "fulfilled", "breached"].includes(q.get("state")) ? q.get("state") : "open";
  const [totals, page] = await Promise.all([
    api("/v1/balances", w),
    api("/v1/obligations", { ...w, state, limit: 50, after: q.get("after") || undefined }),
  ]);
  const b = totals.balances[0] ?? {};
  const money = (label, cents, account) => h("div", { class: "card" }, h("div", { class: "muted" }, label),
    h("div", { class: "figure" }, link(euros(cents ?? 0), "journal", "", { account })));
  main.append(h("h1", {}, t("obligations")), whenLine(),
    h("h2", {}, t("recoveries")),
    h("div", { class: "cards", id: "recovery-figures" },
      money(t("rec_ordered"), b.recovery_ordered_cents, "recoveries"), money(t("rec_received"), b.recovery_received_cents, "recovered"),
      money(t("rec_waived"), b.recovery_waived_cents, "recoveries_waived"), money(t("rec_written_off"), b.recovery_written_off_cents, "recoveries_written_off"),
      money(t("rec_outstanding"), b.recovery_outstanding_cents, "recovery_receivable")),
    h("nav", { class: "pager", "aria-label": t("state") }, ["open", "fulfilled", "breached"].map((s) =>
      h("a", { href: href("obligations", "", { state: s }), "aria-current": s === state ? "page" : undefined, id: `state-${s}` }, t(s)))),
    table([t("obligation"), t("grant"), t("start"), t("due"), t("state"), h("th", { class: "num" }, t("served")), h("th", { class: "num" }, t("owed")), t("recoveries")],
      page.obligations.map((o) => h("tr", {},
        h("th", { scope: "row" }, o.obligation_id), h("td", {}, o.grant_id),
        h("td", {}, day(o.start_date)), h("td", {}, day(o.end_date)),
        h("td", {}, h("span", { class: `tag ${o.state === "breached" ? "bad" : o.state === "fulfilled" ? "ok" : "open"}` }, name(o.state))),
        num(o.served_days ?? "—"), num(o.obligation_days ?? "—"),
        h("td", {}, o.state === "breached" ? link(t("titres"), "journal", "", { subject_id: o.grant_id, account: "recoveries" }) : "—"))),
    { id: "obligations-table" }),
    pager(page.next, "obligations", "", { state }));
}

const FILTERS = ["envelope_id", "programme_id", "funder", "subject_id", "account", "fiscal_year"];

async function journal(main) {
  const w = when();
  const q = route().query;
  const filter = Object.fromEntries(FILTERS.map((f) => [f, q.get(f) || undefined]));
  const form = h("form", { class: "filters", id: "journal-filters", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    location.hash = href("journal", "", Object.fromEntries(FILTERS.map((f) => [f, data.get(f) || undefined])));
  } }, FILTERS.map((f) => h("label", {}, f, h("input", { name: f, value: filter[f] ?? "", size: 18 }))),
  h("button", { type: "submit", class: "primary" }, t("search")));
  main.append(h("h1", {}, t("journal")), whenLine(), form);
  const page = await api("/v1/journal", { ...w, ...filter, limit: 100, after: q.get("after") || undefined });
  const download = h("button", { type: "button", id: "csv", onclick: async () => {
    const response = await request("/v1/journal", { ...w, ...filter, format: "csv" });
    const url = URL.createObjectURL(await response.blob());
    const a = h("a", { href: url, download: "journal.csv" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } }, t("csv"));
  main.append(h("div", { class: "pager" }, download), table(
    [t("seq"), t("effective"), t("account"), h("th", { class: "num" }, t("amount")), t("envelope"), t("subject"), t("fiscal_year"), t("event")],
    page.postings.map((p) => h("tr", {},
      h("td", {}, p.posting_seq), h("td", {}, day(p.effective_date)), h("td", {}, p.account),
      num(`${euros(p.amount_cents)} ${p.amount_cents >= 0 ? t("debit") : t("credit")}`),
      h("td", {}, p.envelope_id), h("td", {}, p.subject_id ?? "—"), h("td", {}, p.fiscal_year),
      h("td", {}, link(p.event_type, "event", p.event_id, { as_of: undefined, known_at: undefined })))),
    { id: "journal-table" }), pager(page.next, "journal", "", filter));
}

async function event(main, id) {
  const e = await api(`/v1/events/${encodeURIComponent(id)}`);
  main.append(h("h1", {}, `${t("event_title")} ${e.event_type}`),
    h("dl", { class: "kv", id: "event-details" },
      h("dt", {}, t("event")), h("dd", {}, e.event_id),
      h("dt", {}, t("coordinates")), h("dd", { id: "event-coordinates" }, `${e.topic}:${e.partition}:${e.offset}`),
      h("dt", {}, t("stream")), h("dd", {}, `${e.stream_type}/${e.stream_id}`),
      h("dt", {}, t("version")), h("dd", {}, e.stream_version),
      h("dt", {}, t("effective")), h("dd", {}, day(e.effective_date)),
      h("dt", {}, t("recorded_at")), h("dd", {}, instant(e.recorded_at)),
      h("dt", {}, t("hash")), h("dd", { id: "event-hash" }, e.hash),
      h("dt", {}, t("prev_hash")), h("dd", {}, e.prev_hash || t("first_of_stream"))),
    h("h2", {}, t("content")), h("pre", {}, JSON.stringify(e.event, null, 2)));
}

async function status(main) {
  const s = await api("/v1/status");
  main.append(h("h1", {}, t("status")),
    h("p", {}, `${t("projection")} ${s.projection} : `, h("span", { class: `tag ${s.healthy ? "ok" : "bad"}`, id: "health" }, s.healthy ? t("healthy") : t("unhealthy")),
      ` — ${t("lag")} ${s.total_lag === null ? "?" : count(s.total_lag)}`),
    table([t("partition"), h("th", { class: "num" }, t("next_offset")), h("th", { class: "num" }, t("end_offset")), h("th", { class: "num" }, t("lag"))],
      s.partitions.map((p) => h("tr", {}, h("td", {}, `${p.topic}:${p.partition}`), num(count(p.next_offset)),
        num(p.end_offset === null ? "?" : count(p.end_offset)), num(p.lag === null ? "?" : count(p.lag)))), { id: "partitions-table" }),
    h("h2", {}, t("faults")), s.faults.length ? table([t("partition"), t("offset"), t("event"), t("reason")],
      s.faults.map((f) => h("tr", {}, h("td", {}, `${f.topic}:${f.partition}`), h("td", {}, f.offset), h("td", {}, f.event_id ?? "—"), h("td", {}, f.reason)))) : h("p", {}, t("none")),
    h("h2", {}, t("outages")), s.outages.length ? table([t("since"), t("until"), t("reason")],
      s.outages.map((o) => h("tr", {}, h("td", {}, instant(o.started_at)), h("td", {}, instant(o.ended_at)), h("td", {}, o.error ?? "")))) : h("p", {}, t("none")));
}

const PAGES = { overview, envelope, targets, workforce, obligations, journal, event, status };
const NAV = ["overview", "envelope", "targets", "workforce", "obligations", "journal", "status"];

// ---------------------------------------------------------------- shell

function loginPage(message) {
  document.getElementById("top").hidden = true;
  const main = document.getElementById("main");
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true });
  main.replaceChildren(h("form", { class: "login", id: "login", onsubmit: async (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    roles = null;
    const probe = await fetch("/v1/me", { headers: { Authorization: `Bearer ${token()}` } });
    if (!probe.ok) {
      sessionStorage.removeItem(TOKEN_KEY);
      loginPage(t("login_refused"));
      return;
    }
    render();
  } },
  h("h1", {}, t("title")), h("h2", {}, t("login_title")), h("p", { class: "note" }, t("login_help")),
  message ? h("p", { class: "error", role: "alert" }, message) : null,
  h("label", {}, t("token"), input), h("button", { type: "submit", class: "primary" }, t("login"))));
  input.focus();
  document.body.dataset.ready = "login";
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  roles = null;
  loginPage(message);
}

function shell(page) {
  document.documentElement.lang = lang;
  document.getElementById("top").hidden = false;
  document.getElementById("brand").textContent = t("title");
  document.getElementById("skip").textContent = t("skip");
  document.getElementById("nav").replaceChildren(...NAV.filter(allowed).map((p) =>
    h("a", { href: href(p, ""), id: `nav-${p}`, "aria-current": p === page || (page === "event" && p === "journal") ? "page" : undefined }, t(p))));
  const w = when();
  document.getElementById("as-of-label").textContent = t("as_of");
  document.getElementById("known-at-label").textContent = t("known_at");
  document.getElementById("as-of").value = w.as_of ?? "";
  document.getElementById("known-at").value = w.known_at ? w.known_at.replace(/Z$/, "").slice(0, 19) : "";
  document.getElementById("apply").textContent = t("apply");
  document.getElementById("reset").textContent = t("today");
  document.getElementById("lang").textContent = t("other_lang");
  document.getElementById("lang").lang = lang === "fr" ? "en" : "fr";
  document.getElementById("logout").textContent = t("logout");
}

/** Set the dates asked, keeping the page and its filters. */
function setWhen(asOf, knownAt) {
  const { page, arg, query } = route();
  query.delete("after");
  asOf ? query.set("as_of", asOf) : query.delete("as_of");
  knownAt ? query.set("known_at", knownAt) : query.delete("known_at");
  const search = query.toString();
  location.hash = `#/${page}${arg ? "/" + encodeURIComponent(arg) : ""}${search ? "?" + search : ""}`;
}

let generation = 0;

async function render() {
  if (!token()) return loginPage();
  try {
    await whoAmI();
  } catch (err) {
    if (!(err instanceof LoggedOut)) loginPage(`${t("error")} : ${err.message}`);
    return;
  }
  const { page: asked, arg } = route();
  // A caller without the controller role starts on what it may read.
  const page = PAGES[asked] ? asked : roles.includes("controller") ? "overview" : "status";
  const draw = PAGES[page];
  shell(page);
  const mine = ++generation;
  const main = h("main", { id: "main", tabindex: "-1", "aria-live": "polite", "aria-busy": "true" });
  document.body.dataset.ready = "";
  document.title = `${t(page)} — ${t("title")}`;
  try {
    if (!allowed(page === "event" ? "journal" : page)) {
      throw new ApiFailure(403, "forbidden", "");
    }
    await draw(main, arg);
  } catch (err) {
    if (err instanceof LoggedOut) return;
    const forbidden = err instanceof ApiFailure && err.status === 403;
    main.append(h("p", { class: "error", role: "alert", id: "error" }, forbidden
      ? (page === "status" ? t("ops_only") : t("controller_only"))
      : `${t("error")} ${err.status ?? ""} ${err.code ?? ""} : ${err.message}`));
  }
  if (mine !== generation) return; // a newer page has been asked for
  main.removeAttribute("aria-busy");
  document.getElementById("main").replaceWith(main);
  document.body.dataset.ready = page;
}

function start() {
  document.getElementById("when").addEventListener("submit", (e) => {
    e.preventDefault();
    const knownAt = document.getElementById("known-at").value;
    setWhen(document.getElementById("as-of").value, knownAt ? `${knownAt.length === 16 ? knownAt + ":00" : knownAt}Z` : "");
  });
  document.getElementById("reset").addEventListener("click", () => setWhen("", ""));
  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "fr" ? "en" : "fr";
    sessionStorage.setItem(LANG_KEY, lang);
    render();
  });
  document.getElementById("logout").addEventListener("click", () => logout());
  window.addEventListener("hashchange", render);
  render();
}

start();
