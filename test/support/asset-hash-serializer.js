// Snapshots show what changed in a template, not that the Lambda bundle's bytes changed:
// asset hashes (64 hex digits) are replaced by a placeholder.
const HASH = /[0-9a-f]{64}/g;
module.exports = {
  test: (value) => {
    if (typeof value !== 'string') return false;
    HASH.lastIndex = 0; // a /g pattern's test() moves lastIndex; start every check from the beginning
    return HASH.test(value);
  },
  serialize: (value, config, indentation, depth, refs, printer) => printer(value.replace(HASH, '[ASSET HASH]'), config, indentation, depth, refs),
};
