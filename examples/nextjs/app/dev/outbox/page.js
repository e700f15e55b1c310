// Development only: the codes this server "sent" (there is no mailer), newest first.
import { notFound } from 'next/navigation';
import { outbox, outboxEnabled } from '../../../lib/chatbotkit.js';

export const dynamic = 'force-dynamic';

/** 18:30:58 UTC, with the full date in a tooltip. */
function Time({ value }) {
  return (
    <time dateTime={value.toISOString()} title={value.toISOString()}>
      {value.toISOString().slice(11, 19)} UTC
    </time>
  );
}

export default function OutboxPage() {
  if (!outboxEnabled()) notFound();
  const mails = [...outbox].reverse();
  return (
    <>
      <h1>Outbox</h1>
      <p className="muted">
        Sign-in codes sent by this server (development only). <a href="/dev/outbox">Refresh</a>
      </p>
      {mails.length === 0 ? (
        <p>Nothing sent yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>To</th>
              <th>Code</th>
              <th>Sent</th>
              <th>Expires</th>
            </tr>
          </thead>
          <tbody>
            {mails.map((mail, i) => (
              <tr key={i} data-testid="outbox-row" data-to={mail.to}>
                <td>{mail.to}</td>
                <td>
                  <code data-testid="outbox-code">{mail.code}</code>
                </td>
                <td>
                  <Time value={mail.sentAt} />
                </td>
                <td>
                  <Time value={mail.expires} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
