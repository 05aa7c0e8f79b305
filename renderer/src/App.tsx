import type { ComponentType } from 'react';
import { StatusLine } from './components/StatusLine.js';
import { SCREENS, type ScreenId } from './stores/app.js';
import { useApp } from './stores/index.js';
import { ActivityScreen } from './screens/ActivityScreen.js';
import { BackupsScreen } from './screens/BackupsScreen.js';
import { DashboardScreen } from './screens/DashboardScreen.js';
import { EnableScreen } from './screens/enable/EnableScreen.js';
import { RecoveryScreen } from './screens/recovery/RecoveryScreen.js';
import { SettingsScreen } from './screens/SettingsScreen.js';

const SCREEN_VIEWS: Record<ScreenId, ComponentType> = {
  dashboard: DashboardScreen,
  backups: BackupsScreen,
  enable: EnableScreen,
  settings: SettingsScreen,
  recovery: RecoveryScreen,
  activity: ActivityScreen,
};

/** The shell: banner with the LAB badge, navigation, the current screen, the status line. */
export function App() {
  const screen = useApp((s) => s.screen);
  const go = useApp((s) => s.go);
  const lab = useApp((s) => s.info.data?.lab ?? false);
  const View = SCREEN_VIEWS[screen];
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <p className="brand">Lifeboat</p>
        {lab && (
          <span className="badge lab" title="The configured rack is the simulated lab rack">
            LAB
          </span>
        )}
      </header>
      <nav className="app-nav" aria-label="Screens">
        <ul>
          {SCREENS.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                aria-current={s.id === screen ? 'page' : undefined}
                onClick={() => go(s.id)}
              >
                {s.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="app-main" id="main" tabIndex={-1}>
        <View />
      </main>
      <footer className="app-footer">
        <StatusLine />
      </footer>
    </div>
  );
}
