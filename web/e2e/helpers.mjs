// Shared helpers for the browser tests: a headless Chromium from the system (no downloads),
// sign-in through the real screens, the HTTP API for setting up data, and RFC 6238 codes.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.CUSTOS_URL ?? '').replace(/\/+$/, '');
if (BASE_URL === '') {
  throw new Error('CUSTOS_URL is not set: run tests/e2e/run.sh, or point it at a running `custos serve`');
}

/** Password of every demo login seeded by `custos init --demo`. */
export const DEMO_PASSWORD = process.env.CUSTOS_DEMO_PASSWORD ?? 'custos-demo-pass';
export const DEMO_USERS = {
  admin: process.env.CUSTOS_DEMO_ADMIN ?? 'admin',
  coder: process.env.CUSTOS_DEMO_CODER ?? 'coder',
  auditor: process.env.CUSTOS_DEMO_AUDITOR ?? 'auditor',
  registrar: process.env.CUSTOS_DEMO_REGISTRAR ?? 'registrar',
  /** Role him_analyst (patients.merge, clinical.read): `custos init --demo` names it "analyst". */
  analyst: process.env.CUSTOS_DEMO_ANALYST ?? 'analyst',
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 900 };
export const TABLET = { width: 768, height: 1024 };
const ACTION_TIMEOUT_MS = 15_000;

/** Starts Chromium; Playwright gives it a fresh temporary profile and removes it on close. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A page in a fresh context (no cookies) that fails the test on uncaught page errors. */
export async function openPage(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, baseURL: BASE_URL });
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  page.assertNoPageErrors = () => assert.deepEqual(errors.map(String), [], 'uncaught errors in the page');
  await page.goto('/');
  return page;
}

export const unique = (prefix) => `${prefix}${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

export const heading = (page, name) => page.getByRole('heading', { level: 1, name, exact: true });

/** Signs in through the login form and waits for the dashboard (or `landing`, a heading). */
export async function signIn(page, username, password = DEMO_PASSWORD, landing = 'Dashboard') {
  await heading(page, 'Sign in').waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (landing !== null) await heading(page, landing).waitFor();
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await heading(page, 'Sign in').waitFor();
}

export async function goTo(page, area) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: area, exact: true }).click();
  await heading(page, area).waitFor();
}

/** Calls the HTTP API directly (for setting up data); throws on a non-2xx answer. */
export async function api(method, path, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  }
  return json;
}

export async function apiToken(username, password = DEMO_PASSWORD) {
  const answer = await api('POST', '/auth/login', { body: { username, password } });
  assert.ok(answer.token, `login of ${username} gave no token: ${JSON.stringify(answer)}`);
  return answer.token;
}

// RFC 4648 base32, as authenticator apps read TOTP secrets.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(text)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

export const TOTP_STEP_SECONDS = 30;
export const totpStep = (timeMs = Date.now()) => Math.floor(timeMs / 1000 / TOTP_STEP_SECONDS);

/** RFC 6238 TOTP (HMAC-SHA1, 30 s step, 6 digits) for time step `step`. */
export function totpCode(secretBase32, step = totpStep()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** Where screenshots go: $CUSTOS_SCREENSHOT_DIR, or nowhere when unset. */
export function screenshotPath(name) {
  const dir = process.env.CUSTOS_SCREENSHOT_DIR;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Fills the audit filter form (label → value), applies it and checks the server's answer. */
export async function filterAudit(page, fields) {
  for (const [label, value] of Object.entries(fields)) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/audit/events');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const response = await answered;
  assert.equal(response.status(), 200, `GET ${response.url()} answered ${response.status()}: ${await response.text()}`);
  return response.json();
}
