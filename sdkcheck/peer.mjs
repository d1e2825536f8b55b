// peer: RingCentral's official JavaScript stack (@ringcentral/sdk and
// @ringcentral/subscriptions, unmodified, used as their READMEs show) as a
// live presence client with no rendering, for the end-to-end benchmark
// (e2e_bench_test.go) to measure beside rchud against the same platform.
//
// It signs in with the JWT, subscribes over WebSocket to the account's
// detailed presence, and keeps a Map of presence by extension id, merging
// each notification into it (a notification older than the one kept, by
// sequence, is dropped, as RingCentral's own widgets do). It loads no
// initial presence: the Heavy-group budget belongs to the HUD beside it.
//
// Input: RC_SERVER_URL, RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT,
// and PEER_MARK, a message prefix. Output on stdout, one line each:
//   ready                       subscribed; notifications flow from here on
//   mark <message>              a notification carried a message starting with PEER_MARK
//   count <notifications> <extensions in the Map>   once a second
// On failure one line on stderr and a non-zero exit. It runs until stdin
// closes or SIGTERM. Secrets and tokens are never printed.

import { SDK } from '@ringcentral/sdk';
import { Subscriptions } from '@ringcentral/subscriptions';

const START_TIMEOUT_MS = 60_000; // login and subscribe

const secrets = new Set();

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
  process.stderr.write(redact(`peer: ${msg}`).replace(/\s*\n\s*/g, ' ').trimEnd() + '\n');
  process.exit(1);
}

function env(name) {
  const v = process.env[name];
  if (!v) fail(`${name} is not set`);
  return v;
}

const server = env('RC_SERVER_URL');
const clientId = env('RC_APP_CLIENT_ID');
const clientSecret = env('RC_APP_CLIENT_SECRET');
const jwt = env('RC_USER_JWT');
const mark = env('PEER_MARK');
secrets.add(clientSecret).add(jwt);

const presence = new Map(); // extension id -> the latest presence body, merged
let notifications = 0;

function onNotification(evt) {
  notifications++;
  const b = evt?.body;
  if (!b || b.extensionId === undefined) return;
  const id = String(b.extensionId);
  const old = presence.get(id);
  if (old && Number.isInteger(b.sequence) && Number.isInteger(old.sequence) && b.sequence < old.sequence) return;
  presence.set(id, old ? Object.assign(old, b) : { ...b });
  if (typeof b.message === 'string' && b.message.startsWith(mark)) {
    process.stdout.write(`mark ${b.message.replace(/[\r\n]/g, ' ')}\n`);
  }
}

const watchdog = setTimeout(() => fail(`not subscribed within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
process.on('unhandledRejection', (e) => fail(e?.message || String(e)));
process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

try {
  const sdk = new SDK({ server, clientId, clientSecret });
  const platform = sdk.platform();
  await platform.login({ jwt });
  const auth = await platform.auth().data();
  secrets.add(auth.access_token).add(auth.refresh_token);

  const subscriptions = new Subscriptions({ sdk });
  const subscription = subscriptions.createSubscription();
  subscription.on(subscription.events.notification, onNotification);
  const ws = await subscription.setEventFilters(['/restapi/v1.0/account/~/presence?detailedTelephonyState=true']).register();
  if (ws.wse?.wsc?.token) secrets.add(ws.wse.wsc.token);
  if (ws.wse?.wsToken?.ws_access_token) secrets.add(ws.wse.wsToken.ws_access_token);
  clearTimeout(watchdog);
  process.stdout.write('ready\n');
  setInterval(() => process.stdout.write(`count ${notifications} ${presence.size}\n`), 1000);
} catch (e) {
  fail(e?.message || String(e));
}
