// electron-builder configuration for Lifeboat's installers: Linux AppImage and deb, Windows NSIS.
// Offline by design: no auto-update (publish: null), no rebuild of native modules at packaging
// time (npmRebuild: false), and Electron taken from a vetted local folder when
// LIFEBOAT_ELECTRON_DIST names one (see build/README.md, "Building installers offline").
//
//   npx electron-builder --config build/electron-builder.config.cjs --linux
//   npx electron-builder --config build/electron-builder.config.cjs --win
'use strict';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config file
const electronVersion = require('electron/package.json').version;
const vettedElectron = process.env.LIFEBOAT_ELECTRON_DIST;

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'org.lifeboat.desktop',
  productName: 'Lifeboat',
  executableName: 'lifeboat',
  copyright: 'Lifeboat',
  // Pinned, so packaging never asks the network which Electron is current.
  electronVersion,
  ...(vettedElectron ? { electronDist: vettedElectron } : {}),
  directories: { output: 'release', buildResources: 'build' },
  // The compiled app only: main process, services, renderer. No sources, tests, source maps,
  // or the lab rack (a development and training tool started by `npm start`, not shipped).
  files: [
    'package.json',
    'dist/electron/**/*',
    'dist/shared/**/*',
    'dist/renderer/**/*',
    '!**/*.map',
  ],
  asar: true,
  // Native code cannot be loaded from inside the asar archive.
  asarUnpack: [
    '**/node_modules/better-sqlite3/**',
    '**/node_modules/bindings/**',
    '**/node_modules/file-uri-to-path/**',
    '**/node_modules/@napi-rs/keyring*/**',
    '**/node_modules/zstd-napi/**',
    '**/*.node',
  ],
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  // No auto-update, no update feed, no release upload: the app never reaches out.
  publish: null,
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'System',
    synopsis: 'Backs up and recovers the infrastructure data of disconnected private-cloud racks',
    maintainer: 'Lifeboat <lifeboat@localhost>',
  },
  deb: {
    // The OS keychain on Linux desktops (the vault falls back to a passphrase without it).
    recommends: ['gnome-keyring'],
  },
  win: { target: ['nsis'] },
  nsis: {
    oneClick: false,
    perMachine: true,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
    deleteAppDataOnUninstall: false,
  },
};
