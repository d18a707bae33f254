import { Link } from 'react-router';

export function AboutPage() {
  return (
    <>
      <h1>Om inloggningen</h1>
      <p>Du loggar in med BankID på den här datorn eller med Mobilt BankID.</p>
      <p>
        <Link to="/">Till inloggningen</Link>
      </p>
    </>
  );
}

export function MyPages() {
  return (
    <>
      <h1>Mina sidor</h1>
      <p>Du är inloggad.</p>
      <p>
        <Link to="/">Till inloggningen</Link>
      </p>
    </>
  );
}
