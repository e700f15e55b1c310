import './style.css';
import Link from 'next/link';
import { outboxEnabled } from '../lib/chatbotkit.js';

export const metadata = {
  title: 'nextauth-chatbotkit example',
  description: 'next-auth v5 with ChatBotKit partner users',
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <header>
          <Link href="/" className="brand">
            nextauth-chatbotkit
          </Link>
          <nav>
            <Link href="/">Account</Link>
            <Link href="/signin">Sign in</Link>
            {outboxEnabled() ? <Link href="/dev/outbox">Outbox</Link> : null}
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
