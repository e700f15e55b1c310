// Auth.js's endpoints (/api/auth/*). The adapter is a native addon: Node runtime only.
import { handlers } from '../../../../auth.js';

export const { GET, POST } = handlers;
export const runtime = 'nodejs';
