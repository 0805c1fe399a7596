/** Sizes of the three data profiles. `small` is what tests use: a full export takes seconds. */
import type { Profile } from './model.js';

export interface ProfileSpec {
  orgs: number;
  usersPerOrg: number;
  rolesPerOrg: number;
  groups: number;
  chats: number;
  /** Messages per ordinary chat, inclusive range. */
  messages: [number, number];
  /** Chats with `longChatMessages` messages (message pagination). */
  longChats: number;
  longChatMessages: number;
  uploads: number;
  /** Files of several MB (binary), on top of `uploads`. */
  bigFiles: number;
  generatedFiles: number;
  chatArtifacts: number;
  projects: number;
  codeArtifacts: number;
  localSessions: number;
  remoteSessions: number;
  /** Remote sessions still `pending` (listed; their transcript answers 404, §5.5), on top of `remoteSessions`. */
  pendingRemoteSessions: number;
}

export const PROFILES: Record<Profile, ProfileSpec> = {
  small: {
    orgs: 2,
    usersPerOrg: 8,
    rolesPerOrg: 3,
    groups: 4,
    chats: 60,
    messages: [2, 10],
    longChats: 1,
    longChatMessages: 120,
    uploads: 20,
    bigFiles: 3,
    generatedFiles: 10,
    chatArtifacts: 6,
    projects: 4,
    codeArtifacts: 8,
    localSessions: 6,
    remoteSessions: 4,
    pendingRemoteSessions: 1,
  },
  medium: {
    orgs: 4,
    usersPerOrg: 40,
    rolesPerOrg: 5,
    groups: 12,
    chats: 600,
    messages: [2, 10],
    longChats: 4,
    longChatMessages: 300,
    uploads: 240,
    bigFiles: 6,
    generatedFiles: 100,
    chatArtifacts: 60,
    projects: 40,
    codeArtifacts: 80,
    localSessions: 60,
    remoteSessions: 40,
    pendingRemoteSessions: 0,
  },
  large: {
    orgs: 10,
    usersPerOrg: 500,
    rolesPerOrg: 8,
    groups: 60,
    chats: 100_000,
    messages: [2, 18],
    longChats: 20,
    longChatMessages: 1000,
    uploads: 20_000,
    bigFiles: 12,
    generatedFiles: 5_000,
    chatArtifacts: 5_000,
    projects: 2_000,
    codeArtifacts: 1_000,
    localSessions: 1_000,
    remoteSessions: 500,
    pendingRemoteSessions: 0,
  },
};

/** The generated history spans [WORLD_START, WORLD_END); live mutations happen after. */
export const WORLD_START = Date.UTC(2025, 0, 6);
export const WORLD_END = Date.UTC(2026, 9, 1);
export const DAY = 86_400_000;
