// ESM entry of `nextauth-chatbotkit/testing` (re-exports the CommonJS module).
import cjs from './index.js';

export const { startFakePartnerApi } = cjs;
export default cjs;
