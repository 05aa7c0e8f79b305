/** Entry point: connect to the main process over whichever transport exists, then render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api/index.js';
import { App } from './App.js';
import { ErrorNotice } from './components/ErrorNotice.js';
import { boot, createStores, routeEvent, StoresContext } from './stores/index.js';
import './styles/app.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
const connection = connect();

if (!connection.ok) {
  root.render(
    <main className="app-main">
      <h1>Lifeboat</h1>
      <ErrorNotice error={connection.error} title="Lifeboat cannot connect" />
    </main>,
  );
} else {
  const stores = createStores(connection.client);
  connection.client.subscribe((event) => routeEvent(stores, event));
  void boot(stores);
  root.render(
    <StrictMode>
      <StoresContext.Provider value={stores}>
        <App />
      </StoresContext.Provider>
    </StrictMode>,
  );
}
