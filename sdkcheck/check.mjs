// sdkcheck: drives RingCentral's official JavaScript SDKs, unmodified, against
// a RingCentral platform (rchud's emulator in CI) and fails loudly when the
// two disagree. It uses the SDKs only as their READMEs show.
//
// Input: RC_SERVER_URL, RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT
// (what `rchud emulator` prints). Output: progress on stdout; on failure one
// line on stderr and a non-zero exit. Secrets and tokens are never printed.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SDK } from '@ringcentral/sdk';
import { Subscriptions } from '@ringcentral/subscriptions';

const NOTIFY_TIMEOUT_MS = 20_000; // one presence change to reach every socket
const RECOVER_TIMEOUT_MS = 20_000; // auto-recovery after a dropped socket
const OVERALL_TIMEOUT_MS = 50_000; // the whole run
const PER_PAGE = 50;
// @rc-ex/ws's Events (it is RCSUB's dependency, not ours, so not imported).
const WsEvents = { autoRecoverSuccess: 'autoRecoverSuccess', autoRecoverFailed: 'autoRecoverFailed', autoRecoverError: 'autoRecoverError' };

const secrets = new Set(); // every credential or token seen, for redaction
let step = 'start';

// redact removes every known secret, and anything shaped like a token, from s.
function redact(s) {
  let out = String(s);
  for (const v of secrets) {
    if (v && v.length >= 6) out = out.split(v).join('[redacted]');
  }
  return out
    .replace(/\b(access_token|refresh_token|ws_access_token|wsc|token|assertion|client_secret)=[^&\s"']+/gi, '$1=[redacted]')
    .replace(/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted]')
    .replace(/\b(Bearer|Basic)\s+[\w.~+/=-]+/g, '$1 [redacted]');
}

function fail(msg) {
  const line = redact(`sdkcheck: FAIL at ${step}: ${msg}`).replace(/\s*\n\s*/g, ' ').trimEnd();
  process.stderr.write(line + '\n');
  process.exit(1);
}

function check(cond, msg) {
  if (!cond) throw new CheckError(msg);
}

class CheckError extends Error {}

// describe turns an SDK or check error into one line, with the HTTP status
// and RingCentral error code when there is a response.
async function describe(e) {
  if (e instanceof CheckError) return e.message;
  const parts = [];
  const res = e?.response;
  if (res && typeof res.status === 'number') {
    parts.push(`HTTP ${res.status}`);
    let body = res.data; // @rc-ex RestException (axios-style)
    if (body === undefined && typeof res.clone === 'function') {
      try { body = await res.clone().json(); } catch { body = undefined; } // @ringcentral/sdk (fetch)
    }
    const code = body?.errorCode || body?.errors?.[0]?.errorCode || body?.error;
    if (code) parts.push(code);
  }
  parts.push(e?.message || String(e));
  return parts.join(' ');
}

function log(msg) {
  process.stdout.write(redact(`sdkcheck: ${msg}`) + '\n');
}

function env(name) {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`sdkcheck: ${name} is not set (run .ci/sdkcheck, or export what \`rchud emulator\` prints)\n`);
    process.exit(2);
  }
  return v;
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return '(version unknown)';
  }
}

// Inbox collects the notifications one subscription receives and lets the
// script wait, with a deadline, for one that matches.
class Inbox {
  constructor(name) {
    this.name = name;
    this.events = [];
    this.waiters = [];
  }

  push(evt) {
    this.events.push(evt);
    for (const w of [...this.waiters]) w.try();
  }

  waitFor(pred, what, ms = NOTIFY_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const w = {
        try: () => {
          const hit = this.events.find(pred);
          if (!hit) return;
          clearTimeout(w.timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          resolve(hit);
        },
      };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new CheckError(`no ${what} on the ${this.name} subscription within ${ms / 1000} s ` +
          `(${this.events.length} other notification(s) received)`));
      }, ms);
      this.waiters.push(w);
      w.try();
    });
  }
}

const USER_STATUSES = ['Offline', 'Busy', 'Available'];
const TEL_STATUSES = ['NoCall', 'CallConnected', 'Ringing', 'OnHold', 'ParkedCall'];

async function main() {
  const server = env('RC_SERVER_URL');
  const clientId = env('RC_APP_CLIENT_ID');
  const clientSecret = env('RC_APP_CLIENT_SECRET');
  const jwt = env('RC_USER_JWT');
  secrets.add(clientSecret).add(jwt);
  log(`@ringcentral/sdk ${version('@ringcentral/sdk')}, @ringcentral/subscriptions ${version('@ringcentral/subscriptions')}, ` +
    `@rc-ex/ws ${version('@rc-ex/ws')} against ${server}`);

  // --- login (RCJS README: new SDK(...), platform.login({jwt}))
  step = 'login';
  const sdk = new SDK({ server, clientId, clientSecret });
  const platform = sdk.platform();
  await platform.login({ jwt });
  const auth = await platform.auth().data();
  secrets.add(auth.access_token).add(auth.refresh_token);
  check(typeof auth.access_token === 'string' && auth.access_token !== '', 'login gave no access_token');
  check(auth.token_type?.toLowerCase() === 'bearer', `token_type is ${auth.token_type}, want bearer`);
  check(Number(auth.expires_in) > 0, `expires_in is ${auth.expires_in}`);
  check(/^\d+$/.test(String(auth.owner_id ?? '')), `owner_id is ${JSON.stringify(auth.owner_id)}`);
  check(await platform.loggedIn(), 'platform.loggedIn() is false right after login');
  const ownerId = String(auth.owner_id);
  log(`logged in with the JWT as extension id ${ownerId}`);

  // --- the signed-in extension
  step = 'GET /restapi/v1.0/account/~/extension/~';
  const me = await (await platform.get('/restapi/v1.0/account/~/extension/~')).json();
  check(String(me.id) === ownerId, `extension/~ has id ${me.id}, token owner is ${ownerId}`);
  const accountId = String(me.account?.id ?? '');
  check(/^\d+$/.test(accountId), `extension/~ has account.id ${JSON.stringify(me.account?.id)}`);

  // --- list every extension, page by page
  step = 'GET /restapi/v1.0/account/~/extension';
  const ids = new Set();
  let page = 1;
  let totalPages = 1;
  let totalElements = -1;
  let mine = null;
  do {
    const list = await (await platform.get('/restapi/v1.0/account/~/extension', { perPage: PER_PAGE, page })).json();
    const p = list.paging;
    check(Array.isArray(list.records), `page ${page}: records is not an array`);
    check(p && typeof p === 'object', `page ${page}: no paging object`);
    check(p.page === page, `page ${page}: paging.page is ${p.page}`);
    check(p.perPage === PER_PAGE, `page ${page}: paging.perPage is ${p.perPage}, asked ${PER_PAGE}`);
    check(Number.isInteger(p.totalPages) && p.totalPages >= 1, `page ${page}: paging.totalPages is ${p.totalPages}`);
    check(Number.isInteger(p.totalElements), `page ${page}: paging.totalElements is ${p.totalElements}`);
    check(list.records.length <= PER_PAGE, `page ${page}: ${list.records.length} records, more than perPage`);
    if (page === 1) {
      totalPages = p.totalPages;
      totalElements = p.totalElements;
      check(totalPages === Math.ceil(totalElements / PER_PAGE),
        `totalPages ${totalPages} does not fit totalElements ${totalElements} at perPage ${PER_PAGE}`);
    } else {
      check(p.totalPages === totalPages && p.totalElements === totalElements, `page ${page}: totals changed between pages`);
    }
    if (list.records.length > 0) {
      check(p.pageStart === (page - 1) * PER_PAGE, `page ${page}: pageStart is ${p.pageStart}`);
      check(p.pageEnd === p.pageStart + list.records.length - 1, `page ${page}: pageEnd is ${p.pageEnd}`);
    }
    check(list.navigation?.firstPage?.uri, `page ${page}: no navigation.firstPage`);
    check(Boolean(list.navigation?.nextPage) === (page < totalPages), `page ${page}: navigation.nextPage is wrong`);
    for (const r of list.records) {
      check(r.id !== undefined && typeof r.extensionNumber === 'string' && typeof r.type === 'string',
        `page ${page}: a record lacks id, extensionNumber or type`);
      check(!ids.has(String(r.id)), `extension ${r.id} is listed twice`);
      ids.add(String(r.id));
      if (String(r.id) === ownerId) mine = r;
    }
    page++;
  } while (page <= totalPages);
  check(ids.size > 0, 'the account lists no extensions');
  check(ids.size === totalElements, `pages hold ${ids.size} extensions, paging.totalElements says ${totalElements}`);
  check(mine, `the signed-in extension ${ownerId} is not in the list`);
  check(mine.extensionNumber === me.extensionNumber, `extension number ${mine.extensionNumber} in the list, ${me.extensionNumber} on extension/~`);
  log(`listed ${ids.size} extensions over ${totalPages} page(s) of ${PER_PAGE}; signed in as extension ${me.extensionNumber}`);

  // --- company info: the account and the company name on its business address
  step = 'GET /restapi/v1.0/account/~';
  const account = await (await platform.get('/restapi/v1.0/account/~')).json();
  check(String(account.id) === accountId, `account/~ has id ${account.id}, extension/~ says account ${accountId}`);
  check(typeof account.mainNumber === 'string' && account.mainNumber !== '', `account mainNumber is ${account.mainNumber}`);
  step = 'GET /restapi/v1.0/account/~/business-address';
  const address = await (await platform.get('/restapi/v1.0/account/~/business-address')).json();
  check(typeof address.company === 'string' && address.company !== '', `business-address company is ${JSON.stringify(address.company)}`);
  log(`account ${accountId} (${account.status}), main number ${account.mainNumber}: ${address.company}`);

  // --- own presence
  step = 'GET /restapi/v1.0/account/~/extension/~/presence';
  const before = await (await platform.get('/restapi/v1.0/account/~/extension/~/presence')).json();
  check(String(before.extension?.id) === ownerId, `presence.extension.id is ${before.extension?.id}`);
  check(USER_STATUSES.includes(before.userStatus), `userStatus is ${before.userStatus}`);
  check(USER_STATUSES.includes(before.presenceStatus), `presenceStatus is ${before.presenceStatus}`);
  check(TEL_STATUSES.includes(before.telephonyStatus), `telephonyStatus is ${before.telephonyStatus}`);
  check(typeof before.dndStatus === 'string', `dndStatus is ${before.dndStatus}`);
  log(`presence: userStatus ${before.userStatus}, presenceStatus ${before.presenceStatus}, telephonyStatus ${before.telephonyStatus}`);

  // --- subscribe over WebSocket (RCSUB README), one socket per filter
  const subscriptions = new Subscriptions({ sdk });
  const filters = {
    simple: '/restapi/v1.0/account/~/extension/~/presence',
    detailed: '/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true',
  };
  const subs = {};
  for (const [name, filter] of Object.entries(filters)) {
    step = `subscribe (${name}: ${filter})`;
    const inbox = new Inbox(name);
    const subscription = subscriptions.createSubscription();
    subscription.on(subscription.events.notification, (evt) => inbox.push(evt));
    const ws = await subscription.setEventFilters([filter]).register();
    const info = ws.subscriptionInfo;
    check(info && typeof info.id === 'string' && info.id !== '', 'register() gave no subscription id');
    check(info.status === 'Active', `subscription status is ${info.status}`);
    check(info.deliveryMode?.transportType === 'WebSocket', `deliveryMode.transportType is ${info.deliveryMode?.transportType}`);
    const want = filter.replace('/account/~/', `/account/${accountId}/`).replace('/extension/~/', `/extension/${ownerId}/`);
    check(Array.isArray(info.eventFilters) && info.eventFilters.length === 1 && info.eventFilters[0] === want,
      `eventFilters came back as ${JSON.stringify(info.eventFilters)}, want [${JSON.stringify(want)}]`);
    check(!(info.disabledFilters?.length), `filters disabled: ${JSON.stringify(info.disabledFilters)}`);
    if (ws.wse.wsc?.token) secrets.add(ws.wse.wsc.token);
    if (ws.wse.wsToken?.ws_access_token) secrets.add(ws.wse.wsToken.ws_access_token);
    subs[name] = { filter, inbox, ws, info };
    log(`subscribed over WebSocket to ${filter} (subscription ${info.id})`);
  }

  step = 'GET /restapi/v1.0/subscription';
  const listed = (await (await platform.get('/restapi/v1.0/subscription')).json()).records?.map((r) => r.id) ?? [];
  for (const { info } of Object.values(subs)) {
    check(listed.includes(info.id), `subscription ${info.id} is not listed over HTTP`);
  }

  // --- change presence and wait for the notification on every socket
  step = 'PUT /restapi/v1.0/account/~/extension/~/presence';
  const token = randomBytes(6).toString('hex');
  const change = { userStatus: before.userStatus === 'Busy' ? 'Available' : 'Busy', message: `sdkcheck ${token}` };
  const started = Date.now();
  const put = await (await platform.put('/restapi/v1.0/account/~/extension/~/presence', change)).json();
  check(put.userStatus === change.userStatus, `PUT answered userStatus ${put.userStatus}, sent ${change.userStatus}`);
  check(put.message === change.message, 'PUT answered a different message');
  log(`PUT userStatus ${change.userStatus} with message token ${token}`);

  const seqs = {};
  for (const [name, { inbox, info, filter }] of Object.entries(subs)) {
    step = `notification (${name})`;
    const evt = await inbox.waitFor((e) => e?.body?.message === change.message, `notification carrying token ${token}`);
    const b = evt.body;
    const eventRe = new RegExp(`^/restapi/v1\\.0/account/[^/]+/extension/${ownerId}/presence` +
      (name === 'detailed' ? '\\?detailedTelephonyState=true$' : '$'));
    check(typeof evt.uuid === 'string' && evt.uuid !== '', 'notification has no uuid');
    check(eventRe.test(evt.event), `notification event is ${evt.event}`);
    check(evt.subscriptionId === info.id, `notification subscriptionId is ${evt.subscriptionId}, want ${info.id}`);
    check(String(evt.ownerId) === ownerId, `notification ownerId is ${evt.ownerId}`);
    check(!Number.isNaN(Date.parse(evt.timestamp)), `notification timestamp is ${evt.timestamp}`);
    check(String(b.extensionId) === ownerId, `body.extensionId is ${b.extensionId}`);
    check(b.userStatus === change.userStatus, `body.userStatus is ${b.userStatus}, want ${change.userStatus}`);
    if (change.userStatus === 'Busy') check(b.presenceStatus === 'Busy', `body.presenceStatus is ${b.presenceStatus}, want Busy`);
    check(Number.isInteger(b.sequence) && b.sequence > 0, `body.sequence is ${b.sequence}`);
    if (name === 'detailed') {
      check(Number.isInteger(b.totalActiveCalls), `detailed body.totalActiveCalls is ${b.totalActiveCalls}`);
      check(b.activeCalls === undefined || Array.isArray(b.activeCalls), 'detailed body.activeCalls is not an array');
    } else {
      check(b.activeCalls === undefined && b.totalActiveCalls === undefined, 'simple body carries activeCalls');
    }
    seqs[name] = b.sequence;
    log(`${name}: notification for ${filter} after ${Date.now() - started} ms: userStatus ${b.userStatus}, ` +
      `presenceStatus ${b.presenceStatus}, sequence ${b.sequence}`);
  }

  // --- session recovery: only where the emulator's control API can drop the
  // sockets. RCEX-WS auto-recovers (its cached WS token plus the wsc) and
  // must get recoveryState Successful with the same subscription.
  step = 'session recovery';
  const control = new URL('/_emulator/', server);
  const hasControl = await fetch(new URL('stats', control)).then((r) => r.ok, () => false);
  if (hasControl) {
    const recovered = Object.entries(subs).map(([name, { ws }]) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new CheckError(`${name}: no auto-recovery within ${RECOVER_TIMEOUT_MS / 1000} s`)),
        RECOVER_TIMEOUT_MS);
      const done = (ok) => (arg) => {
        clearTimeout(timer);
        if (ok) resolve();
        else reject(new CheckError(`${name}: auto-recovery ${ok === false ? 'failed (recoveryState ' + ws.wse.connectionDetails?.recoveryState + ', ' + ws.wse.connectionDetails?.recoveryErrorCode + ')' : 'error: ' + arg}`));
      };
      ws.wse.eventEmitter.once(WsEvents.autoRecoverSuccess, done(true));
      ws.wse.eventEmitter.once(WsEvents.autoRecoverFailed, done(false));
      ws.wse.eventEmitter.once(WsEvents.autoRecoverError, done(null));
    }));
    const dropped = Date.now();
    const r = await fetch(new URL('drop', control), { method: 'POST' });
    check(r.ok, `POST /_emulator/drop answered HTTP ${r.status}`);
    await Promise.all(recovered);
    for (const [name, { ws, info }] of Object.entries(subs)) {
      check(ws.wse.connectionDetails?.recoveryState === 'Successful', `${name}: recoveryState ${ws.wse.connectionDetails?.recoveryState}`);
      check(ws.subscriptionInfo?.id === info.id, `${name}: the subscription changed on recovery`);
      if (ws.wse.wsc?.token) secrets.add(ws.wse.wsc.token);
    }
    log(`dropped every WebSocket; both sessions auto-recovered (Successful) in ${Date.now() - dropped} ms`);
  } else {
    log('no emulator control API here: session recovery not exercised');
  }

  // --- put the presence back; every socket is notified, with a later sequence
  step = 'restore presence';
  const restore = { userStatus: before.userStatus, message: before.message ?? '' };
  await platform.put('/restapi/v1.0/account/~/extension/~/presence', restore);
  for (const [name, { inbox }] of Object.entries(subs)) {
    const back = await inbox.waitFor(
      (e) => e?.body?.sequence > seqs[name] && e.body.userStatus === restore.userStatus && (e.body.message ?? '') === restore.message,
      'notification of the restored presence');
    log(`${name}: restored userStatus ${before.userStatus} notified with sequence ${back.body.sequence}`);
  }

  // --- revoke the subscriptions (DELETE over the socket), then close the sockets
  for (const [name, { ws, info }] of Object.entries(subs)) {
    step = `revoke (${name})`;
    await ws.revoke();
    check(ws.subscriptionInfo === undefined, 'subscription still set after revoke()');
    const left = (await (await platform.get('/restapi/v1.0/subscription')).json()).records?.map((r) => r.id) ?? [];
    check(!left.includes(info.id), `subscription ${info.id} is still listed after revoke()`);
    await ws.wse.revoke(); // closes the socket and stops auto-recovery
    log(`revoked subscription ${info.id}`);
  }

  // --- logout; the old access token must stop working
  step = 'logout';
  const oldToken = auth.access_token;
  await platform.logout();
  check(!(await platform.loggedIn()), 'platform.loggedIn() is still true after logout()');
  const probe = await fetch(new URL('/restapi/v1.0/account/~/extension/~', server), {
    headers: { Authorization: `Bearer ${oldToken}`, Accept: 'application/json' },
  });
  check(probe.status === 401, `the revoked access token still gets HTTP ${probe.status}`);
  log('logged out; the revoked access token gets 401');
}

const watchdog = setTimeout(() => fail(`timed out after ${OVERALL_TIMEOUT_MS / 1000} s`), OVERALL_TIMEOUT_MS);
process.on('unhandledRejection', async (e) => fail(await describe(e)));
try {
  await main();
  clearTimeout(watchdog);
  log('OK: the official SDKs work against this platform');
  process.exit(0);
} catch (e) {
  fail(await describe(e));
}
