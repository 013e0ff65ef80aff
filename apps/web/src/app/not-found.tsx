import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="auth-header">
          <h1>Page not found</h1>
          <p>There is nothing at this address.</p>
        </div>
        <Link className="button button-block" href="/">
          Go to the dashboard
        </Link>
      </div>
    </main>
  );
}
