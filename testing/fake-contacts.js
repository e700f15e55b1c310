'use strict';

// The contact half of the fake ChatBotKit API (`/v1/contact/*`): routes and
// handlers over an in-memory map of contacts. fake-partner-api.js serves them
// beside the partner users, on the same server and secret.

/** Routes below `/v1/contact/`; `:name` segments are path parameters. */
const CONTACT_ROUTES = [
  { op: 'contactList', method: 'GET', pattern: ['list'] },
  { op: 'contactCreate', method: 'POST', pattern: ['create'] },
  { op: 'contactEnsure', method: 'POST', pattern: ['ensure'] },
  { op: 'contactFetch', method: 'GET', pattern: [':contactId', 'fetch'] },
  { op: 'contactUpdate', method: 'POST', pattern: [':contactId', 'update'] },
  { op: 'contactDelete', method: 'POST', pattern: [':contactId', 'delete'] },
];

const CONTACT_STRINGS = [
  'name',
  'description',
  'fingerprint',
  'email',
  'phone',
  'nick',
  'preferences',
];
const CONTACT_FIELDS = [...CONTACT_STRINGS, 'meta', 'verifiedAt'];

/** The first type error in a contact body, or null. */
function checkContact(body, { isObject, checkFields }) {
  const bad = checkFields(body, CONTACT_STRINGS, ['meta']);
  if (bad) return bad;
  if (Object.hasOwn(body, 'verifiedAt') && !Number.isFinite(body.verifiedAt)) {
    return 'verifiedAt must be a number';
  }
  return isObject(body) ? null : 'Body must be a JSON object';
}

/**
 * The contact handlers. `tools` are the fake's shared helpers (ok, error,
 * pick, clone, hex, paginate, isObject, checkFields, metaFilter);
 * `options.ignoreContactFilter` makes `list` ignore `meta[...]` filters.
 */
function contactApi(options, tools) {
  const { ok, error, pick, clone, hex, paginate, metaFilter } = tools;
  const contacts = new Map(); // id -> stored Contact
  const ignoreFilter = options.ignoreContactFilter === true;

  const byFingerprint = (fingerprint) =>
    [...contacts.values()].find((c) => c.fingerprint === fingerprint);

  function addContact(fields = {}) {
    const id = fields.id !== undefined ? String(fields.id) : `con_${hex()}`;
    if (contacts.has(id)) throw new Error(`fake ChatBotKit API: contact ${id} already exists`);
    const fingerprint =
      fields.fingerprint !== undefined ? String(fields.fingerprint) : `fp_${hex()}`;
    if (byFingerprint(fingerprint)) {
      throw new Error(`fake ChatBotKit API: a contact with fingerprint ${fingerprint} exists`);
    }
    const createdAt = fields.createdAt != null ? Number(fields.createdAt) : Date.now();
    const updatedAt = fields.updatedAt != null ? Number(fields.updatedAt) : createdAt;
    const contact = { id, createdAt, updatedAt, fingerprint };
    for (const [k, v] of Object.entries(fields)) {
      if (v !== undefined && !(k in contact)) contact[k] = clone(v);
    }
    contacts.set(id, contact);
    return contact;
  }

  const handlers = {
    contactList(_params, _body, query) {
      const all = ignoreFilter ? [...contacts.values()] : metaFilter([...contacts.values()], query);
      return paginate(all, query, clone);
    },
    contactFetch({ contactId }) {
      const contact = contacts.get(contactId);
      return contact ? ok(clone(contact)) : error(404);
    },
    contactCreate(_params, body) {
      const bad = checkContact(body, tools);
      if (bad) return error(400, bad);
      if (body.fingerprint !== undefined && byFingerprint(body.fingerprint)) {
        return error(409, 'A contact with this fingerprint already exists');
      }
      return ok({ id: addContact(pick(body, CONTACT_FIELDS)).id });
    },
    contactEnsure(_params, body) {
      const bad = checkContact(body, tools);
      if (bad) return error(400, bad);
      if (typeof body.fingerprint !== 'string') return error(400, 'fingerprint is required');
      const existing = byFingerprint(body.fingerprint);
      return ok({ id: existing ? existing.id : addContact(pick(body, CONTACT_FIELDS)).id });
    },
    contactUpdate({ contactId }, body) {
      const bad = checkContact(body, tools);
      if (bad) return error(400, bad);
      const contact = contacts.get(contactId);
      if (!contact) return error(404);
      const holder = body.fingerprint !== undefined && byFingerprint(body.fingerprint);
      if (holder && holder.id !== contactId) {
        return error(409, 'A contact with this fingerprint already exists');
      }
      // Given fields replace stored ones (meta as a whole); updatedAt moves forward.
      Object.assign(contact, pick(body, CONTACT_FIELDS), {
        updatedAt: Math.max(Date.now(), contact.updatedAt + 1),
      });
      return ok({ id: contactId });
    },
    contactDelete({ contactId }, body) {
      if (!tools.isObject(body)) return error(400, 'Body must be a JSON object');
      if (!contacts.delete(contactId)) return error(404);
      return ok({ id: contactId });
    },
  };

  return { contacts, addContact, handlers };
}

module.exports = { CONTACT_ROUTES, contactApi };
