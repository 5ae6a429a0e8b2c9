// Test entry that never finishes: proves the harness's overall timeout fires and cleans up.
'use strict';

exports.run = () => {
  console.log('hanging on purpose');
  return new Promise(() => {
    setInterval(() => {}, 1000); // keep something alive, like a stuck test would
  });
};
