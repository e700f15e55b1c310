import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The adapter is a native addon: Next must require it from node_modules at
  // run time instead of bundling it (Next < 15:
  // experimental.serverComponentsExternalPackages).
  serverExternalPackages: ['nextauth-chatbotkit'],
  // This directory is the app's root, not the repository around it.
  turbopack: { root: here },
  outputFileTracingRoot: here,
  poweredByHeader: false,
};

export default nextConfig;
