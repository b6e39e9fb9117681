/**
 * Jest snapshot serializer that hides CDK asset hashes (64 hex digits, as in
 * the handler's `Code.S3Key` "<hash>.zip"), so a template snapshot changes
 * when the template changes, not when the handler bundle does.
 *
 *   expect.addSnapshotSerializer(assetHashSerializer);
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
export const ASSET_HASH_PLACEHOLDER = '[ASSET HASH]';

/** pretty-format's current plugin shape (`serialize`, not the older `print`). */
type SerializerPlugin = Extract<jest.SnapshotSerializerPlugin, { serialize: unknown }>;

export const assetHashSerializer: SerializerPlugin = {
  test: (value: unknown): boolean => typeof value === 'string' && new RegExp(ASSET_HASH.source).test(value),
  serialize: (value: string, config, indentation, depth, refs, printer): string =>
    // The replaced string no longer matches `test`, so the default string printer takes it from here.
    printer(value.replace(ASSET_HASH, ASSET_HASH_PLACEHOLDER), config, indentation, depth, refs),
};
