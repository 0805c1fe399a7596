/**
 * The record shapes the sandbox serves, inferred from the serializers that build them (not
 * restated), so the product's contract test can pin them to the client's types at compile time.
 * Records built inline in a route (file metadata, settings, attachments, ...) are pinned by that
 * test at run time instead, key by key.
 */
import type { activityJson } from './routes/activities.js';
import type { messageJson } from './routes/chat-messages.js';
import type { artifactJson } from './routes/code-artifacts.js';
import type { groupJson, roleJson } from './routes/directory.js';
import type { localJson, remoteJson } from './routes/sessions.js';
import type { chatJson, projectJson, userRef } from './serialize.js';

export type ServedUserRef = NonNullable<ReturnType<typeof userRef>>;
export type ServedRole = ReturnType<typeof roleJson>;
export type ServedGroup = ReturnType<typeof groupJson>;
export type ServedActivity = ReturnType<typeof activityJson>;
export type ServedChat = ReturnType<typeof chatJson>;
export type ServedChatMessage = ReturnType<typeof messageJson>;
export type ServedProject = ReturnType<typeof projectJson>;
export type ServedCodeArtifact = ReturnType<typeof artifactJson>;
export type ServedLocalSession = ReturnType<typeof localJson>;
export type ServedRemoteSession = ReturnType<typeof remoteJson>;
