'use strict';

// The Contact family: each person signs in as a contact of the one
// ChatBotKit account the secret belongs to. Same native core as the partner
// adapter, over the contact directory.

const { adapterFor } = require('./adapter.js');
const { Store, MemoryStore } = require('./stores.js');
const { AdapterError } = require('./errors.js');

/** The partner adapter's lifecycle options, and their contact names. */
const LIFECYCLE = [
  ['autoCreateUser', 'autoCreateContact'],
  ['autoUpdateUser', 'autoUpdateContact'],
  ['autoDeleteUser', 'autoDeleteContact'],
];

/**
 * The Auth.js / NextAuth.js adapter whose users are ChatBotKit contacts:
 * `{ secret, store, autoCreateContact = false, autoUpdateContact = true,
 * autoDeleteContact = false, ... }` plus the partner adapter's other options.
 */
function ChatBotKitContactAdapter(options) {
  if (options === null || typeof options !== 'object') {
    throw new AdapterError('CONFIG', 'options must be an object with at least `secret`');
  }
  const native = { ...options };
  for (const [user, contact] of LIFECYCLE) {
    // A partner name here is a mix-up that would otherwise be silently ignored.
    if (options[user] !== undefined) {
      throw new AdapterError(
        'CONFIG',
        `\`${user}\` is a ChatBotKitPartnerAdapter option; the Contact adapter's is \`${contact}\``,
      );
    }
    delete native[contact];
    native[user] = options[contact];
  }
  return adapterFor(native, 'contact');
}

/** The store contract of the Contact adapter: the same as `Store`. */
const ContactStore = Store;
/** The native in-memory store, under the Contact family's name. */
const ContactMemoryStore = MemoryStore;

module.exports = { ChatBotKitContactAdapter, ContactStore, ContactMemoryStore };
