-- Entities name related entities (a track's artist): relation name → {entity, key, description},
-- where key is the pinned feature of the entity's own view holding the related entity's key.
ALTER TABLE rapfs_entities ADD COLUMN relations jsonb NOT NULL DEFAULT '{}';
