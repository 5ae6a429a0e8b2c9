// The CLI package's README, LICENSE and npm-shrinkwrap.json (packages/cli, git-ignored), made at build time from
// the repository's own: the README's command-line sections are the package's README, so the two cannot drift
// apart; and the shrinkwrap pins the package's whole dependency tree to the versions of package-lock.json, the
// ones this repository's tests ran with (npm honours a published package's shrinkwrap; it is meant for CLIs).
const fs = require('node:fs');
const path = require('node:path');

/** The README's sections that are about the command line, by heading. */
const CLI_SECTIONS = ['## Quickstart with the CLI', '## Using a head elsewhere', '## Heads in CI'];

function section(readme, heading) {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "${heading}" for the CLI package's README`);
  const next = readme.indexOf('\n## ', start + heading.length + 2);
  return readme.slice(start + 1, next < 0 ? undefined : next).trimEnd();
}

function writeCliPackageFiles(root) {
  const dir = path.join(root, 'packages', 'cli');
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const text = [
    `# ${pkg.name}`,
    '',
    `The \`vector-tune\` command line (version ${pkg.version}, Node ${pkg.engines.node}): ${pkg.description.replace(/^vector-tune: /, '')}`,
    '',
    '```sh',
    `npm install --save-dev ${pkg.name}   # or the packed .tgz (npm pack ./packages/cli in a built clone)`,
    'npx vector-tune --version',
    'npx vector-tune <command> --help',
    '```',
    '',
    ...CLI_SECTIONS.map((h) => section(readme, h) + '\n'),
    'The VS Code extension, the scoring panel and the rest of the documentation are in the repository.',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'README.md'), text);
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(dir, 'LICENSE'));
  fs.writeFileSync(path.join(dir, 'npm-shrinkwrap.json'), JSON.stringify(shrinkwrap(root, pkg), null, 2) + '\n');
}

/**
 * The package's dependency tree as package-lock.json resolved it: every entry reachable from the package's
 * dependencies, found as Node finds them (the nearest node_modules folder up the tree).
 */
function shrinkwrap(root, pkg) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const rootDeps = lock.packages[''].dependencies;
  for (const [name, version] of Object.entries(pkg.dependencies)) {
    if (rootDeps[name] !== version)
      throw new Error(`packages/cli depends on ${name}@${version} but the repository on ${rootDeps[name]}`);
  }
  const resolve = (from, name) => {
    for (let at = from; ; at = at.slice(0, Math.max(0, at.lastIndexOf('/node_modules/')))) {
      const candidate = `${at ? `${at}/` : ''}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!at) return undefined;
    }
  };
  const packages = {};
  const queue = Object.keys(pkg.dependencies).map((name) => resolve('', name));
  while (queue.length > 0) {
    const at = queue.pop();
    if (packages[at]) continue;
    // The root's dev flags do not apply to the published package's tree, where every entry is a runtime one.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lock.packages[at];
    packages[at] = entry;
    const wanted = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const name of Object.keys(wanted)) {
      const found = resolve(at, name);
      if (found) queue.push(found);
      else if (!entry.optionalDependencies?.[name]) throw new Error(`package-lock.json has no ${name} for ${at}`);
    }
  }
  const sorted = Object.fromEntries(
    Object.keys(packages)
      .sort()
      .map((k) => [k, packages[k]]),
  );
  const self = { name: pkg.name, version: pkg.version, license: pkg.license, dependencies: pkg.dependencies };
  return {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': self, ...sorted },
  };
}

module.exports = { writeCliPackageFiles };
