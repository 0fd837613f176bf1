// services.test.js: the land, business and building-permit services and "My
// applications" over SMPP: the real daemon with the shipped menus (menus.d), node-smpp
// as the SMSC and a private redis-server seeded with `ussdgw seed --scale small`. Every
// service's happy path and wrong inputs, records that do not exist, a mistyped
// reference, the SMS each submission sends (delivered by the SMS queue as submit_sm),
// a duplicated confirm step creating one application, a status change reaching the
// applicant by SMS, and every service in English, Kinyarwanda and French.
'use strict';
const L = require('./lib');
const { test, assert, assertEq, until } = L;
const path = require('path');
const { spawnSync } = require('child_process');

const MENUS = path.join(L.ROOT, 'menus.d');
const REF = /(?:LND|BIZ|BPA)-\d\d-\d{6}-\d/;
const BILL = /BIL-\d\d-\d{6}-\d/;

function sanitizerReport(text) {
  const m = /(AddressSanitizer|runtime error:|LeakSanitizer)[^\n]*/.exec(text || '');
  return m ? m[0] : null;
}

// ussdgw ARGS against redis r: {code, out, err}.
function cli(r, args) {
  const res = spawnSync(L.USSDGW, [...args, '--redis', r.addr], { encoding: 'utf8', timeout: 60000, cwd: L.ROOT });
  const san = sanitizerReport(res.stderr);
  if (san) throw new Error(`sanitizer report from ussdgw ${args.join(' ')}: ${san}`);
  return { code: res.status, out: res.stdout || '', err: res.stderr || '' };
}

// Today in Kigali (UTC+2): the seed's week, so that its inspection slots lie ahead.
function today() {
  return new Date(Date.now() + 2 * 3600 * 1000).toISOString().slice(0, 10);
}

// What `seed` prints under "records to try".
function seedRecords(out) {
  const t = {};
  let m = /parcel\s+(\S+)\s+owner (.+), ID (\d{16}), phone (\d+)/.exec(out);
  if (m) Object.assign(t, { upi: m[1], owner: m[2], ownerId: m[3] });
  m = /business\s+(.+) \(reg\. (\d{9})\)/.exec(out);
  if (m) Object.assign(t, { bizName: m[1], regno: m[2] });
  m = /permit\s+(BPA-\d\d-\d{6}-\d)\s+approved building permit, (\w+)/.exec(out);
  if (m) Object.assign(t, { permit: m[1], permitDistrict: m[2] });
  for (const st of ['submitted', 'in_review', 'approved', 'rejected', 'paid', 'completed']) {
    m = new RegExp(`^\\s+${st}\\s+((?:LND|BIZ|BPA)-\\d\\d-\\d{6}-\\d)`, 'm').exec(out);
    if (m) t[st] = m[1];
  }
  return t;
}

async function hgetall(redis, key) {
  const a = await redis.cmd('HGETALL', key);
  const o = {};
  for (let i = 0; i < a.length; i += 2) o[a[i]] = a[i + 1];
  return o;
}

// A seeded private Redis, the SMSC and the gateway on the shipped menus.
async function setup() {
  const redis = await L.startRedis();
  const s = cli(redis, ['seed', '--scale', 'small', '--today', today()]);
  assertEq(s.code, 0, `seed (${s.err})`);
  const seed = seedRecords(s.out);
  assert(seed.upi && seed.ownerId && seed.regno && seed.permit && seed.submitted, `records to try:\n${s.out}`);
  const smsc = new L.SmsAwareSmsc();
  await smsc.listen();
  const gw = await L.startGateway({ smscPort: smsc.port, redis: redis.addr, menus: MENUS, smsc, name: 'services' });
  return { redis, smsc, gw, seed };
}

const { has } = L;
class Phone extends L.Phone {
  constructor(env, opts = {}) {
    super(env, { prefix: '25078', ...opts });
  }
}

function within(screen) {
  // every screen the phone gets fits one handset screen (GSM 7-bit here)
  assert(L.gsmEncode(screen) !== null, `a character outside GSM 7-bit in:\n${screen}`);
  L.within(screen);
}

// The masked owner as screens show it: initials.
function initials(name) {
  return name.split(/\s+/).filter(Boolean).map((w) => `${w[0].toUpperCase()}.`).join(' ');
}

function amount(n, lang) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'fr' ? ' ' : ',');
}

// A valid Damm check digit for the digits of a reference.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];
function refValid(ref) {
  const m = /^(LND|BIZ|BPA|BIL)-(\d\d)-(\d{6})-(\d)$/.exec(ref);
  if (!m) return false;
  let i = 0;
  for (const c of { LND: '1', BIZ: '2', BPA: '3', BIL: '9' }[m[1]] + m[2] + m[3] + m[4]) i = DAMM[i][Number(c)];
  return i === 0;
}
function wrongCheckDigit(ref) {
  return ref.slice(0, 14) + String((Number(ref[14]) + 1) % 10);
}

// A parcel of the seed with no land tax due, and a UPI no parcel has.
async function parcelWithoutTax(redis) {
  const keys = (await redis.cmd('KEYS', 'ussd:parcel:*')).sort();
  const dues = await L.redisPipeline(redis.port, keys.map((k) => ['HGET', k, 'tax_due']));
  const i = dues.findIndex((d) => d === '0');
  assert(i >= 0, 'a parcel with no tax due');
  return keys[i].slice('ussd:parcel:'.length);
}

async function unknownUpi(redis, upi) {
  const parts = upi.split('/');
  for (let n = 999999; ; n--) {
    const u = `${parts.slice(0, 4).join('/')}/${n}`;
    if (await redis.cmd('EXISTS', `ussd:parcel:${u}`) === 0) return u;
  }
}

// ---- land ---------------------------------------------------------------------------------

test('land (en): look up a parcel; a malformed UPI is refused at entry, an unknown one is not found', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const parcel = await hgetall(redis, `ussd:parcel:${seed.upi}`);
  const p = new Phone(env);
  let s = await p.dial('*123*1#');
  assertEq(s, 'Land\n1. Look up a parcel\n2. Pay land tax\n3. Transfer a title', 'land menu');
  s = await p.say('1');
  has(s, 'Enter the parcel UPI');
  s = await p.say('1/2/3');
  assert(s.startsWith('That is not a UPI. Write it like 1/02/03/04/567'), s);
  // '*' instead of '/' (easier on a keypad) reads the same parcel
  s = await p.say(seed.upi.replace(/\//g, '*'));
  within(s);
  const due = Number(parcel.tax_due);
  const lines = [
    `Parcel ${seed.upi}`,
    `${parcel.sector}, ${parcel.district}`,
    `${amount(parcel.area_m2, 'en')} m2, `,
    `Owner: ${initials(parcel.owner_name)}`,
  ];
  has(s, ...lines);
  assert(!s.includes(parcel.owner_name), 'the owner name is masked');
  if (due > 0) has(s, `Tax due: ${amount(due, 'en')} RWF by ${parcel.tax_due_date}`, '1. Pay the land tax');
  else has(s, 'No land tax is due.');

  // a well-formed UPI of no parcel; one naming no real district
  const none = await unknownUpi(redis, seed.upi);
  for (const u of [none, '1/09/01/01/5']) {
    await p.dial('*123*1#');
    s = await p.walk('1', u);
    assertEq(s, `No parcel ${u} is on the land register. Check the UPI on the land title and dial *123*1# again.`, 'not found');
    assert(p.ended, 'ends');
  }
}, 60000);

test('land (rw): pay land tax: a bill with amount, expiry and how to pay, by SMS too; the same bill again; nothing due', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const parcel = await hgetall(redis, `ussd:parcel:${seed.upi}`);
  const due = Number(parcel.tax_due);
  assert(due > 0, 'the seeded parcel to try owes land tax');
  const p = new Phone(env, { lang: 'rw' });
  let s = await p.dial('*123*1#');
  assert(s.startsWith('Ubutaka\n1. Reba amakuru'), s);
  s = await p.walk('2', seed.upi);
  within(s);
  const bill = (BILL.exec(s) || [])[0];
  assert(bill && refValid(bill), `a bill number with a check digit: ${s}`);
  has(s, `Fagitire y'umusoro ${bill}: ${amount(due, 'rw')} RWF ku butaka ${seed.upi}`, 'igihe ntarengwa 20', 'kanda *182*3*7*');
  assert(p.ended, 'ends');
  const b = await hgetall(redis, `ussd:bill:${bill}`);
  assertEq(b.amount, String(due), 'bill amount');
  assertEq(b.status, 'unpaid');
  assertEq(b.kind, 'land_tax');
  assertEq(b.upi, seed.upi);
  has(s, b.expires, b.pay_code);
  const m = await p.sms((t) => t.includes(bill));
  has(m.text, `Umusoro w'ubutaka ${seed.upi}`, `${amount(due, 'rw')} RWF`, b.pay_code, b.expires);

  // another phone asking for the same parcel's tax gets the same bill
  const q = new Phone(env);
  await q.dial('*123*1#');
  s = await q.walk('2', seed.upi);
  has(s, `Land tax bill ${bill}: ${amount(due, 'en')} RWF for parcel ${seed.upi}`);
  assertEq(await redis.cmd('HGET', `ussd:parcel:${seed.upi}`, 'tax_bill'), bill);

  // from a lookup straight to the bill
  await q.dial('*123*1#');
  s = await q.walk('1', seed.upi, '1');
  has(s, `Land tax bill ${bill}`);

  // once the bill is paid, asking again says so
  await redis.cmd('HSET', `ussd:bill:${bill}`, 'status', 'paid');
  await q.dial('*123*1#');
  s = await q.walk('2', seed.upi);
  assertEq(s, `The land tax of parcel ${seed.upi} is paid (bill ${bill}). Thank you.`);

  // no tax due
  const free = await parcelWithoutTax(redis);
  await p.dial('*123*1#');
  s = await p.walk('2', free);
  assertEq(s, `Nta musoro w'ubutaka ugomba kwishyurwa ku butaka ${free}.`, 'nothing due');
  await p.dial('*123*1#');
  s = await p.walk('1', free);
  has(s, 'Nta musoro ugomba kwishyurwa.');
  assert(p.ended, 'a lookup with nothing due ends');
}, 60000);

test('land (fr): title transfer: the seller must be the owner, IDs are checked with a reason, then a reference, a fee bill and an SMS', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const parcel = await hgetall(redis, `ussd:parcel:${seed.upi}`);
  const p = new Phone(env, { lang: 'fr' });
  let s = await p.dial('*123*1#');
  s = await p.walk('3', seed.upi);
  assertEq(s, 'Entrez le numéro d\'identité du vendeur (16 chiffres)\n0 Retour  00 Accueil');
  s = await p.say(seed.ownerId.slice(0, 14));
  assert(s.startsWith('Ce numéro a 14 chiffres au lieu de 16.\nEntrez le numéro'), s);
  s = await p.say(`${seed.ownerId.slice(0, 5)}5${seed.ownerId.slice(6)}`);
  assert(s.startsWith('Le 6e chiffre d\'un numéro d\'identité est 7 ou 8.\n'), s);
  s = await p.say('12a4');
  assert(s.startsWith('Chiffres seulement : 16 chiffres.\n'), `the validator first: ${s}`);
  // a well-formed ID that is not the owner's
  const other = seed.ownerId === '1199880012345678' ? '1199870012345678' : '1199880012345678';
  s = await p.say(other);
  assert(s.startsWith(`Ce numéro n'est pas celui du propriétaire de la parcelle ${seed.upi}`), s);
  assert(p.ended, 'a mismatch ends the dialog');

  // the owner, typed with spaces between the groups
  await p.dial('*123*1#');
  const spaced = `${seed.ownerId[0]} ${seed.ownerId.slice(1, 5)} ${seed.ownerId[5]} ${seed.ownerId.slice(6, 13)} ${seed.ownerId[13]} ${seed.ownerId.slice(14)}`;
  s = await p.walk('3', seed.upi, spaced);
  assertEq(s, `Vendeur : ${initials(parcel.owner_name)}\nEntrez le numéro d'identité de l'acheteur (16 chiffres)\n0 Retour  00 Accueil`);
  s = await p.say(seed.ownerId);
  assert(s.startsWith('Le vendeur ne peut pas acheter sa propre parcelle.\n'), s);
  s = await p.say('1199880012345671');
  assertEq(s, 'Entrez le prix de vente en RWF (chiffres seulement)\n0 Retour  00 Accueil');
  s = await p.say('15 millions');
  assert(s.startsWith('Tapez le prix en chiffres seulement'), s);
  s = await p.say('15000000');
  within(s);
  assertEq(s, `Transfert de ${seed.upi}\nVendeur : ${initials(parcel.owner_name)}\nAcheteur : ************5671\nPrix : 15000000 RWF\nFrais : 20 000 RWF\n1. Confirmer\n2. Annuler\n0 Retour  00 Accueil`);
  s = await p.say('1');
  within(s);
  const ref = (REF.exec(s) || [])[0];
  const bill = (BILL.exec(s) || [])[0];
  assert(ref && ref.startsWith('LND-') && refValid(ref) && bill, s);
  has(s, `Demande ${ref} enregistrée. Frais 20 000 RWF, facture ${bill} : composez *182*3*7*`, 'SMS envoyé.');
  const app = await hgetall(redis, `ussd:app:${ref}`);
  assertEq(app.service, 'land');
  assertEq(app.kind, 'transfer');
  assertEq(app.status, 'submitted');
  assertEq(app.msisdn, p.msisdn);
  assertEq(app['d.upi'], seed.upi);
  assertEq(app['d.owner_id'], seed.ownerId);
  assertEq(app['d.buyer_id'], '1199880012345671');
  assertEq(app['d.price'], '15000000');
  assertEq(app.bill, bill);
  const m = await p.sms((t) => t.includes(ref));
  has(m.text, `Demande de transfert ${ref} (parcelle ${seed.upi}) enregistrée. Frais 20 000 RWF, facture ${bill}`, 'composez *182*3*7*');

  // cancelling sends nothing
  await p.dial('*123*1#');
  s = await p.walk('3', seed.upi, seed.ownerId, '1199880012345671', '5000000', '2');
  assertEq(s, 'Annulé. Rien n\'a été envoyé. Composez *123*1# pour recommencer.');
  assertEq(await redis.cmd('ZCARD', `ussd:phone:${p.msisdn}:apps`), 1, 'still one application');
}, 60000);

// ---- business -----------------------------------------------------------------------------

test('business (en): name availability ignores case and punctuation and shows similar names', async () => {
  const env = await setup();
  const { seed } = env;
  const p = new Phone(env);
  let s = await p.dial('*123*2#');
  assertEq(s, 'Business\n1. Check a name\n2. Register a business\n3. Renew a trading licence');
  s = await p.walk('1', seed.bizName.toUpperCase().replace(/ /g, '-').replace(/-LTD$/, ' limited'));
  assertEq(s, `Taken: ${seed.bizName} is registered. Choose another name.\n1. Check another name\n0 Back  00 Home`);
  s = await p.say('1');
  s = await p.say(`${seed.bizName.split(' ').slice(0, 2).join(' ')} Kigali`);
  within(s);
  assert(s.startsWith(`Free, but similar names exist: ${seed.bizName}`), s);
  has(s, '1. Register it\n2. Check another name');
  s = await p.walk('2', 'Zebra Quantum Bakery');
  assertEq(s, 'Zebra Quantum Bakery is free: no name like it is registered.\n1. Register it\n2. Check another name\n0 Back  00 Home');
  s = await p.walk('2', 'Ltd');
  assert(s.startsWith('Give the name itself, not only Ltd or Co.\n'), s);
  s = await p.say('x');
  assert(s.startsWith('2 to 60 letters, digits, spaces'), `the validator: ${s}`);
}, 60000);

test('business (fr): register: name, type, owner ID, district from the paginated list, confirmation, reference and SMS; the name is then reserved', async () => {
  const env = await setup();
  const { redis } = env;
  const p = new Phone(env, { lang: 'fr' });
  let s = await p.dial('*123*2#');
  s = await p.walk('2', 'Inzira Nziza Bakery');
  assertEq(s, 'Type d\'entreprise\n1. Entreprise individuelle\n2. Société\n3. Coopérative\n4. Partenariat\n0 Retour  00 Accueil');
  s = await p.say('2');
  assert(s.startsWith('District de l\'entreprise\n1. Bugesera') && s.endsWith('98 Suite'), s);
  s = await p.say('98');
  assert(!s.includes('1. Bugesera') && s.endsWith('98 Suite'), `page 2: ${s}`);
  s = await p.say('98');
  has(s, '30. Rwamagana');
  s = await p.say('30');
  assertEq(s, 'Entrez le numéro d\'identité du propriétaire (16 chiffres)\n0 Retour  00 Accueil');
  s = await p.say('119988001234567');
  assert(s.startsWith('Ce numéro a 15 chiffres au lieu de 16.\n'), s);
  s = await p.say('1199880012345678');
  within(s);
  assertEq(s, 'Enregistrer Inzira Nziza Bakery\nSociété, Rwamagana\nIdentité ************5678\n1. Confirmer\n2. Annuler\n0 Retour  00 Accueil');
  s = await p.say('1');
  within(s);
  const ref = (REF.exec(s) || [])[0];
  assert(ref && ref.startsWith('BIZ-') && refValid(ref), s);
  assertEq(s, `Demande ${ref} enregistrée pour Inzira Nziza Bakery. Aucun frais à payer. SMS envoyé ; un autre vous dira la décision.`);
  const app = await hgetall(redis, `ussd:app:${ref}`);
  assertEq(app.kind, 'register');
  assertEq(app['d.name'], 'Inzira Nziza Bakery');
  assertEq(app['d.type'], 'company');
  assertEq(app['d.district'], 'Rwamagana');
  assertEq(app['d.owner_id'], '1199880012345678');
  assertEq(app.bill, '', 'registration is free (records_fee)');
  const m = await p.sms((t) => t.includes(ref));
  assertEq(m.text, `Demande d'enregistrement ${ref} (Inzira Nziza Bakery) enregistrée. Aucun frais à payer. Un SMS vous dira la décision.`);

  // the name is reserved now, however it is spelled
  const q = new Phone(env);
  await q.dial('*123*2#');
  s = await q.walk('1', 'INZIRA-NZIZA bakery limited');
  assert(s.startsWith('Reserved: a registration with this name is being decided.'), s);
  await q.dial('*123*2#');
  s = await q.walk('2', 'Inzira Nziza Bakery');
  assert(s.startsWith('That name is reserved by a registration being decided.\nEnter another name'), s);
}, 60000);

test('business (rw): renew a trading licence: the business, its fee bill and the SMS; an unknown number', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const biz = await hgetall(redis, `ussd:biz:${seed.regno}`);
  const p = new Phone(env, { lang: 'rw' });
  let s = await p.dial('*123*2#');
  s = await p.walk('3', '12345');
  assert(s.startsWith('Nimero y\'iyandikwa igira imibare 9'), s);
  s = await p.say(seed.regno);
  within(s);
  assertEq(s, `Vugurura uruhushya: ${biz.name} (${biz.district})\nRurangira ${biz.licence_expiry}\nIgiciro 40,000 RWF\n1. Emeza\n2. Hagarika\n0 Subira  00 Ahabanza`);
  s = await p.say('1');
  within(s);
  const ref = (REF.exec(s) || [])[0];
  const bill = (BILL.exec(s) || [])[0];
  assert(ref && ref.startsWith('BIZ-') && bill, s);
  has(s, `Ubusabe ${ref} bwakiriwe. Amafaranga 40,000 RWF, fagitire ${bill}: kanda *182*3*7*`);
  const app = await hgetall(redis, `ussd:app:${ref}`);
  assertEq(app.kind, 'trading_licence');
  assertEq(app['d.regno'], seed.regno);
  const m = await p.sms((t) => t.includes(ref));
  has(m.text, `(${biz.name}) bwakiriwe. Amafaranga 40,000 RWF, fagitire ${bill}`);

  await p.dial('*123*2#');
  let none = '999999999';
  while (await redis.cmd('EXISTS', `ussd:biz:${none}`)) none = String(Number(none) - 1);
  s = await p.walk('3', none);
  assert(s.startsWith(`Nta bucuruzi bufite nimero y'iyandikwa ${none}.`), s);
  assert(p.ended);
}, 60000);

// ---- building permits ---------------------------------------------------------------------

test('permits (en): apply on a registered parcel: type, category, fee, reference, bill and SMS; an unregistered parcel is refused', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const parcel = await hgetall(redis, `ussd:parcel:${seed.upi}`);
  const p = new Phone(env);
  let s = await p.dial('*123*3#');
  assertEq(s, 'Building permits\n1. Apply for a building permit\n2. Check a permit\n3. Book an inspection');
  const none = await unknownUpi(redis, seed.upi);
  s = await p.walk('1', none);
  assert(s.startsWith(`No parcel ${none} is on the land register. A permit needs a registered plot`), s);
  await p.dial('*123*3#');
  s = await p.walk('1', seed.upi);
  has(s, `Type of works on ${seed.upi}\n1. New building\n2. Extension\n3. Renovation\n4. Occupancy permit`);
  s = await p.say('2');
  has(s, 'Project category\n1. House\n2. Apartments\n3. Shop or office');
  s = await p.say('3');
  within(s);
  assertEq(s, `Permit for: Extension, Shop or office\nParcel ${seed.upi}, ${parcel.sector}, ${parcel.district}\nFee: 50,000 RWF\n1. Confirm\n2. Cancel\n0 Back  00 Home`);
  s = await p.say('1');
  within(s);
  const ref = (REF.exec(s) || [])[0];
  const bill = (BILL.exec(s) || [])[0];
  assert(ref && ref.startsWith('BPA-') && refValid(ref) && bill, s);
  const b = await hgetall(redis, `ussd:bill:${bill}`);
  assertEq(s, `Permit application ${ref} received. Fee 50,000 RWF, bill ${bill}: dial ${b.pay_code} to pay by Mobile Money by ${b.expires}. We sent you an SMS.`);
  const app = await hgetall(redis, `ussd:app:${ref}`);
  assertEq(app.kind, 'construction');
  assertEq(app['d.works'], 'extension');
  assertEq(app['d.category'], 'commercial');
  assertEq(app['d.district'], parcel.district);
  assertEq(app['d.upi'], seed.upi);
  const m = await p.sms((t) => t.includes(ref));
  assertEq(m.text, `Building permit application ${ref} (parcel ${seed.upi}) received. Fee 50,000 RWF, bill ${bill}, valid until ${b.expires}. To pay by Mobile Money, dial ${b.pay_code}`);
  // the new application answers "Check a permit" at once
  await p.dial('*123*3#');
  s = await p.walk('2', ref.toLowerCase());
  has(s, `Permit ${ref}: submitted since `, `To pay 50,000 RWF, bill ${bill}, by Mobile Money, dial ${b.pay_code}`);
}, 60000);

test('permits (fr): check a permit: a mistyped reference is refused at entry with a clear message, then the status', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const p = new Phone(env, { lang: 'fr' });
  let s = await p.dial('*123*3#');
  s = await p.say('2');
  const wrong = wrongCheckDigit(seed.permit);
  s = await p.say(wrong);
  assertEq(s, `Faute de frappe dans ${wrong} : chiffre faux ou deux inversés.\nEntrez la référence\n0 Retour  00 Accueil`);
  // two neighbouring digits swapped
  const d = seed.permit.split('');
  let i = 7;
  while (i < 12 && d[i] === d[i + 1]) i++;
  [d[i], d[i + 1]] = [d[i + 1], d[i]];
  s = await p.say(d.join(''));
  assert(s.startsWith(`Faute de frappe dans ${d.join('')}`), s);
  s = await p.say(seed.submitted.startsWith('BPA') ? seed.completed : seed.submitted);
  assert(/n'est pas un permis : ils commencent par BPA/.test(s), s);
  s = await p.say('BPA-26-12');
  assert(s.startsWith('Ce n\'est pas une référence de permis'), s);
  // lenient spelling of the right one
  s = await p.say(seed.permit.toLowerCase().replace(/-/g, ' '));
  within(s);
  const app = await hgetall(redis, `ussd:app:${seed.permit}`);
  const b = await hgetall(redis, `ussd:bill:${app.bill}`);
  assertEq(s, `Demande ${seed.permit} : approuvée depuis le ${app.updated.slice(0, 10)}.\nPour payer ${amount(b.amount, 'fr')} RWF, facture ${app.bill}, par Mobile Money, composez ${b.pay_code}`);
  assert(p.ended);
  // a well-formed reference no application has
  let seq = 123;
  let ref;
  do { ref = `BPA-26-${String(seq++).padStart(6, '0')}-0`; } while (!refValid(ref) || await redis.cmd('EXISTS', `ussd:app:${ref}`));
  await p.dial('*123*3#');
  s = await p.walk('2', ref);
  assertEq(s, `Aucun permis ${ref} trouvé. Vérifiez la référence dans votre SMS et recomposez *123*3#.`);
}, 60000);

test('permits (rw): book an inspection for an approved permit from the free slots, with its SMS; a permit not yet approved is refused', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const p = new Phone(env, { lang: 'rw' });
  let s = await p.dial('*123*3#');
  s = await p.walk('3', seed.permit);
  within(s);
  assert(s.startsWith(`Igenzura rya ${seed.permit} (${seed.permitDistrict}). Hitamo igihe:\n1. Ku`), s);
  const first = /\n1\. (.+)\n/.exec(s)[1];
  assert(/^(Kuwa \w+|Ku cyumweru) \d\d\/\d\d \d\d:\d\d$/.test(first), first);
  const free0 = await redis.cmd('ZCARD', `ussd:slots:${seed.permitDistrict}`);
  s = await p.say('1');
  assertEq(s, `Igenzura rya ${seed.permit} riteganyijwe ${first}. Uzabe uri aho hantu ufite ibishushanyo byemejwe. Twakoherereje SMS.`);
  const app = await hgetall(redis, `ussd:app:${seed.permit}`);
  assert(app.slot && app.slot_district === seed.permitDistrict, JSON.stringify(app));
  assertEq(await redis.cmd('HGET', `ussd:slots:${seed.permitDistrict}:booked`, app.slot), seed.permit, 'booked to it');
  assertEq(await redis.cmd('ZCARD', `ussd:slots:${seed.permitDistrict}`), free0 - 1, 'one slot less');
  const m = await p.sms((t) => t.includes(seed.permit));
  has(m.text, `Igenzura ry'uruhushya ${seed.permit} riteganyijwe ${first} (${seed.permitDistrict}).`);

  // asked again: the booking is shown and can be kept
  await p.dial('*123*3#');
  s = await p.walk('3', seed.permit);
  assertEq(s, `Igenzura rya ${seed.permit} riteganyijwe ${first}.\n1. Hitamo ikindi gihe\n2. Gumana iki gihe\n0 Subira  00 Ahabanza`);
  s = await p.say('2');
  has(s, `riracyateganyijwe ${first}`);

  // a permit still under review
  const ra = cli(redis, ['app', 'create', '--service', 'permit', '--kind', 'renovation', '--msisdn', p.msisdn,
    '--idem', 'rw-review', '--detail', `district=${seed.permitDistrict}`]);
  assertEq(ra.code, 0, ra.err);
  const review = ra.out.split(' ')[0];
  assertEq(cli(redis, ['app', 'status', review, 'in_review']).code, 0);
  await p.dial('*123*3#');
  s = await p.walk('3', review);
  assertEq(s, `Ubusabe ${review} burimo gusuzumwa. Igenzura risabwa uruhushya rumaze kwemezwa; tuzakoherereza SMS.`);
}, 60000);

test('permits: phones racing for one inspection time: two inspectors serve both, one inspector only one (the other sees the free times again)', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const D = seed.permitDistrict;
  // three more approved permits in the same district
  const permits = [seed.permit];
  for (let i = 0; i < 3; i++) {
    const c = cli(redis, ['app', 'create', '--service', 'permit', '--kind', 'construction', '--msisdn', `25078811122${i}`,
      '--idem', `race-${i}`, '--detail', `district=${D}`]);
    assertEq(c.code, 0, c.err);
    permits.push(c.out.split(' ')[0]);
    for (const st of ['in_review', 'approved']) assertEq(cli(redis, ['app', 'status', permits[i + 1], st]).code, 0);
  }
  const phones = permits.map(() => new Phone(env));
  const list = async (i) => { await phones[i].dial('*123*3#'); return phones[i].walk('3', permits[i]); };
  const firstTime = (screen) => /\n1\. (.+)\n/.exec(screen)[1];
  const slotOf = async (ref) => redis.cmd('HGET', `ussd:app:${ref}`, 'slot');

  // two inspectors free at the first time: both phones get it
  const [l0, l1] = await Promise.all([list(0), list(1)]);
  const t1 = firstTime(l0);
  assertEq(firstTime(l1), t1, 'both see the same first time');
  const [r0, r1] = await Promise.all([phones[0].say('1'), phones[1].say('1')]);
  has(r0, `Inspection of ${permits[0]} booked for ${t1}.`);
  has(r1, `Inspection of ${permits[1]} booked for ${t1}.`);
  const [s0, s1] = [await slotOf(permits[0]), await slotOf(permits[1])];
  assert(s0 !== s1 && s0.slice(0, 12) === s1.slice(0, 12), `two inspectors at one time: ${s0} ${s1}`);

  // one inspector left at the next time: one phone gets it, the other chooses again
  const [l2, l3] = await Promise.all([list(2), list(3)]);
  const t2 = firstTime(l2);
  assert(t2 !== t1 && firstTime(l3) === t2, `${l2} | ${l3}`);
  const ids = await redis.cmd('ZRANGEBYSCORE', `ussd:slots:${D}`, Math.floor(Date.now() / 1000), '+inf', 'LIMIT', 0, 4);
  const second = ids.filter((x) => x.slice(0, 12) === ids[0].slice(0, 12)).slice(1);
  for (const x of second) await redis.cmd('ZREM', `ussd:slots:${D}`, x);
  const [r2, r3] = await Promise.all([phones[2].say('1'), phones[3].say('1')]);
  const won = [r2, r3].filter((t) => t.startsWith('Inspection of '));
  const lost = [r2, r3].filter((t) => t.startsWith('That time was just taken. Choose another:\n1. '));
  assertEq(won.length, 1, `one booking: ${r2} | ${r3}`);
  assertEq(lost.length, 1, `the other is told: ${r2} | ${r3}`);
  has(won[0], `booked for ${t2}.`);
  assert(!lost[0].includes(`1. ${t2}\n`), `the taken time is not offered again: ${lost[0]}`);
  const loser = r2 === lost[0] ? 2 : 3;
  const r = await phones[loser].say('1');
  has(r, `Inspection of ${permits[loser]} booked for`);
  const booked = await redis.cmd('HGETALL', `ussd:slots:${D}:booked`);
  const mine = [];
  for (let i = 0; i < booked.length; i += 2) if (permits.includes(booked[i + 1])) mine.push(booked[i]);
  assertEq(mine.length, 4, `four slots booked, one each: ${mine}`);
  assertEq(new Set(mine).size, 4, 'no slot twice');
}, 60000);

// ---- my applications ----------------------------------------------------------------------

test('my applications (en, rw, fr): newest first with their status, paginated; one chosen shows its history', async () => {
  const env = await setup();
  const { redis, seed } = env;
  const p = new Phone(env);
  let s = await p.dial('*123#');
  s = await p.say('4');
  assertEq(s, 'No application was made from this number yet. Dial *123# to apply for land, business or building services.');
  // eight applications, created one "minute" apart
  const refs = [];
  const kinds = [['land', 'title_copy'], ['land', 'subdivision'], ['business', 'trading_licence'], ['permit', 'construction'],
    ['permit', 'renovation'], ['land', 'land_use_change'], ['permit', 'occupancy'], ['business', 'trading_licence']];
  for (const [i, [service, kind]] of kinds.entries()) {
    const r = cli(redis, ['app', 'create', '--service', service, '--kind', kind, '--msisdn', p.msisdn, '--idem', `mine-${i}`]);
    assertEq(r.code, 0, r.err);
    refs.push(r.out.split(' ')[0]);
    await redis.cmd('ZADD', `ussd:phone:${p.msisdn}:apps`, 1800000000 + i * 60, refs[i]);
  }
  assertEq(cli(redis, ['app', 'status', refs[1], 'in_review', '--note', 'surveyor visit planned']).code, 0);
  assertEq(cli(redis, ['app', 'status', refs[1], 'approved']).code, 0);
  await p.dial('*123#');
  s = await p.say('4');
  within(s);
  assert(s.startsWith(`Your applications\n1. ${refs[7]} submitted\n2. ${refs[6]} submitted\n`), s);
  assert(s.endsWith('98 More'), s);
  const pages = [s];
  while (pages[pages.length - 1].endsWith('98 More')) pages.push(await p.say('98'));
  const all = pages.join('\n');
  refs.forEach((r, i) => assert(all.includes(`${8 - i}. ${r} `), `${r} as option ${8 - i}:\n${all}`));
  has(all, `7. ${refs[1]} approved`);
  for (const pg of pages) within(pg);
  s = await p.say('7');
  within(s.replace(/\n98 More$/, ''));
  has(s, `${refs[1]} Subdivision: approved`, 'submitted', 'under review: surveyor visit planned');
  const bill = await redis.cmd('HGET', `ussd:app:${refs[1]}`, 'bill');
  const pay = await redis.cmd('HGET', `ussd:bill:${bill}`, 'pay_code');
  const whole = s.endsWith('98 More') ? `${s}\n${await p.say('98')}` : s;
  has(whole, `Pay 10,000 RWF: dial ${pay}`);

  // in Kinyarwanda
  const k = new Phone(env, { lang: 'rw' });
  const kr = cli(redis, ['app', 'create', '--service', 'land', '--kind', 'title_copy', '--msisdn', k.msisdn, '--idem', 'mine-rw']);
  assertEq(kr.code, 0, kr.err);
  const kref = kr.out.split(' ')[0];
  s = await k.dial('*123#');
  has(s, '4. Ubusabe bwanjye');
  s = await k.say('4');
  assertEq(s, `Ubusabe bwawe\n1. ${kref} bwakiriwe\n0 Subira`);
  s = await k.say('1');
  has(s, `${kref} Kopi y'icyangombwa: bwakiriwe`, 'bwakiriwe', 'Ishyura 5,000 RWF: kanda *182*3*7*');

  // in French, a seeded applicant
  const q = new Phone(env, { lang: 'fr' });
  q.msisdn = await redis.cmd('HGET', `ussd:app:${seed.permit}`, 'msisdn');
  await redis.cmd('SET', `ussd:l:${q.msisdn}`, 'fr');
  s = await q.dial('*123#');
  s = await q.say('4');
  assert(s.startsWith('Vos demandes\n1. '), s);
  const opt = s.split('\n').findIndex((l) => l.includes(seed.permit));
  assert(opt > 0, `the permit is listed: ${s}`);
  s = await q.say(String(opt));
  has(s, `${seed.permit} Permis de construire : approuvée`, 'déposée');
}, 60000);

// ---- idempotency, status SMS, errors -------------------------------------------------------

test('a duplicated deliver_sm on the confirm step creates one application and one SMS', async () => {
  const env = await setup();
  const { redis, smsc, seed } = env;
  const p = new Phone(env);
  await p.dial('*123*3#');
  const s = await p.walk('1', seed.upi, '1', '1');
  has(s, 'Fee: 50,000 RWF\n1. Confirm');
  const from = smsc.submits.length;
  p.seq++;
  const twice = { msisdn: p.msisdn, text: '1', op: 18, session: p.session, seq: p.seq };
  const resps = await Promise.all([smsc.deliver(twice), smsc.deliver(twice)]);
  resps.forEach((r) => assertEq(r.command_status, 0, 'deliver_sm_resp'));
  const r = await smsc.nextSubmit((x) => x.destination_addr === p.msisdn && x.session === p.session, from);
  const ref = (REF.exec(r.text) || [])[0];
  assert(ref, r.text);
  assertEq(await redis.cmd('ZCARD', `ussd:phone:${p.msisdn}:apps`), 1, 'one application for the phone');
  assertEq(await redis.cmd('GET', `ussd:seq:BPA:${ref.slice(4, 6)}`), String(Number(ref.slice(7, 13))), 'one reference taken');
  await p.sms((t) => t.includes(ref));
  // a marker queued after: once it arrived, any second SMS would have arrived before it
  const mk = cli(redis, ['sms', 'send', p.msisdn, 'marker']);
  assertEq(mk.code, 0, mk.err);
  await p.sms((t) => t === 'marker');
  assertEq(smsc.smsTo(p.msisdn).filter((m) => m.text.includes(ref)).length, 1, 'one SMS with the reference');
  assertEq(smsc.submits.slice(from).filter((x) => !x.isSms && x.destination_addr === p.msisdn).length, 1, 'one screen');
}, 60000);

test('a status change (ussdgw app status) reaches the applicant by SMS in their language; STATUS by SMS refuses a mistyped reference', async () => {
  const env = await setup();
  const { redis, smsc, seed } = env;
  const p = new Phone(env, { lang: 'fr' });
  await p.dial('*123*2#');
  const s = await p.walk('3', seed.regno, '1');
  const ref = (REF.exec(s) || [])[0];
  assert(ref, s);
  await p.sms((t) => t.includes(ref));
  const from = smsc.submits.length;
  const st = cli(redis, ['app', 'status', ref, 'in_review', '--note', 'dossier complet']);
  assertEq(st.code, 0, st.err);
  let m = await p.sms((t) => t.includes(ref), from);
  assertEq(m.text, `Votre demande ${ref} est en cours d'examen.`);
  assertEq(cli(redis, ['app', 'status', ref, 'approved']).code, 0);
  m = await p.sms((t) => t.includes('approuvée'), from);
  has(m.text, `Votre demande ${ref} est approuvée. Payez 40 000 RWF, facture`);

  // the SMS keyword STATUS: a mistyped reference is refused, the right one answered
  const ask = async (text) => {
    const at = smsc.submits.length;
    const sess = smsc.sessions.find((x) => x.bound && !x.unbound);
    const sm = L.gsmEncode(text);
    await new Promise((resolve) => sess.deliver_sm({
      source_addr_ton: 1, source_addr_npi: 1, source_addr: p.msisdn, dest_addr_ton: 0, dest_addr_npi: 0,
      destination_addr: '123', esm_class: 0, data_coding: 0, short_message: sm,
    }, resolve));
    return (await p.sms(() => true, at)).text;
  };
  const wrong = wrongCheckDigit(ref);
  assertEq(await ask(`STATUS ${wrong}`), `${wrong} contient une faute de frappe : un chiffre faux ou deux inversés. Vérifiez la référence dans votre SMS et réessayez.`);
  const ok = await ask(`status ${ref.toLowerCase()}`);
  assert(ok.startsWith(`Demande ${ref} (entreprise) : approuvée.`), ok);
}, 60000);

test('records that cannot be read end on each service\'s polite screen, never a crash', async () => {
  const env = await setup();
  const { redis, seed } = env;
  // a parcel key of the wrong type
  await redis.cmd('DEL', `ussd:parcel:${seed.upi}`);
  await redis.cmd('SET', `ussd:parcel:${seed.upi}`, 'not a hash');
  const p = new Phone(env);
  await p.dial('*123*1#');
  let s = await p.walk('1', seed.upi);
  assertEq(s, 'Sorry, land records cannot be reached right now. Nothing was sent. Please try again in a few minutes.');
  await p.dial('*123*1#');
  s = await p.walk('2', seed.upi);
  assert(s.startsWith('Sorry, land records cannot be reached'), s);
  // the business name index of the wrong type
  await redis.cmd('DEL', 'ussd:biz:byname');
  await redis.cmd('SET', 'ussd:biz:byname', 'x');
  await p.dial('*123*2#');
  s = await p.walk('1', 'Anything Ltd');
  assert(s.startsWith('Sorry, the business register cannot be reached'), s);
  // an application that is not a hash
  await redis.cmd('DEL', `ussd:app:${seed.permit}`);
  await redis.cmd('RPUSH', `ussd:app:${seed.permit}`, 'x');
  await p.dial('*123*3#');
  s = await p.walk('2', seed.permit);
  assert(s.startsWith('Sorry, building permits cannot be reached'), s);
  assert(env.gw.exitCode === null, 'the gateway runs on');
}, 60000);

test('the shipped menus check OK with no warnings', async () => {
  const r = spawnSync(L.USSDGW, ['check', MENUS], { encoding: 'utf8', timeout: 30000 });
  assertEq(r.status, 0, r.stderr);
  assert(/menus\.d: OK: \d+ screens, 4 dial strings, 3 languages, 0 warning\(s\)/.test(r.stdout + r.stderr), r.stdout + r.stderr);
});

L.run();
