// The two adapter families on one fake ChatBotKit API: partner users and
// contacts. Suites that hold for both loop over FAMILIES; each entry says how
// to build the adapter (with the lifecycle flags under its own names), where
// the fake keeps its people, and how to seed one.
import { ChatBotKitContactAdapter } from '../../index.js';
import { partnerAdapter } from './api.mjs';

/**
 * @typedef {{ create?: boolean, update?: boolean, delete?: boolean }} Lifecycle
 * `create`/`update`/`delete`: the auto* flags (absent: the adapter's default).
 */

export const FAMILIES = {
  partner: {
    name: 'partner',
    /** @param {Lifecycle} lifecycle */
    adapter(api, store, lifecycle = {}, extra = {}) {
      return partnerAdapter(api, {
        store,
        autoCreateUser: lifecycle.create,
        autoUpdateUser: lifecycle.update,
        autoDeleteUser: lifecycle.delete,
        ...extra,
      });
    },
    people: (api) => api.users,
    /** A person as ChatBotKit has it, made outside the adapter. */
    seed: (api, fields = {}) => api.addUser(fields),
    deletePath: (id) => `/v1/partner/user/${encodeURIComponent(id)}/delete`,
    /** Fields that make a seeded person verified at `ms`. */
    verifiedAt: (ms) => ({ createdAt: ms }),
  },
  contact: {
    name: 'contact',
    /** @param {Lifecycle} lifecycle */
    adapter(api, store, lifecycle = {}, extra = {}) {
      return ChatBotKitContactAdapter({
        secret: api.secret,
        baseUrl: api.url,
        store,
        autoCreateContact: lifecycle.create,
        autoUpdateContact: lifecycle.update,
        autoDeleteContact: lifecycle.delete,
        ...extra,
      });
    },
    people: (api) => api.contacts,
    /** Contacts made elsewhere carry their email in meta too, as the adapter keeps it. */
    seed: (api, { image, ...fields } = {}) => {
      const meta = { ...fields.meta };
      if (typeof fields.email === 'string') meta.email = fields.email.trim().toLowerCase();
      if (image !== undefined) meta.image = image;
      return api.addContact({ ...fields, meta });
    },
    deletePath: (id) => `/v1/contact/${encodeURIComponent(id)}/delete`,
    verifiedAt: (ms) => ({ verifiedAt: ms }),
  },
};
