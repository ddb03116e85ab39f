import { DatabaseOpenError } from '../../errors.js';

/**
 * The one line an operator reads when a database cannot be opened: which file, what is wrong
 * with it, what to do. From the SQLite error code (or the file-system one, for its folder);
 * the original error is kept as the cause.
 */
export function describeOpenFailure(path: string, error: unknown): DatabaseOpenError {
  const found = (error as { code?: unknown } | null)?.code;
  const code = typeof found === 'string' ? found : '';
  const detail = error instanceof Error ? error.message : String(error);
  const message = ((): string => {
    if (['EROFS', 'EACCES', 'EPERM'].includes(code)) {
      return `cannot create the folder of database ${path} (${code}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}). Make the folder writable, or set DB_PATH (or DATA_DIR) to a writable place.`;
    }
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      return `cannot create the folder of database ${path}: a file stands where a folder should be (${code}). Set DB_PATH (or DATA_DIR) to another place.`;
    }
    if (code === 'SQLITE_NOTADB') {
      return `${path} is not a SQLite database (${detail}). Set DB_PATH to the database file, or move this file aside to have a new database made there; it was not changed.`;
    }
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return `database ${path} is locked by another process, so it could not be opened (or its schema brought up to date). Stop that process or let it finish, then start again; nothing was changed.`;
    }
    if (code.startsWith('SQLITE_READONLY')) {
      return `database ${path} cannot be written (read-only file, folder or file system). Make the file and its folder writable (SQLite writes ${path}-wal and ${path}-shm beside it), or set DB_PATH to a writable place.`;
    }
    if (code.startsWith('SQLITE_CANTOPEN')) {
      return `cannot open database ${path} (${detail}): its folder is missing, not writable, or on a read-only file system. Make the folder writable, or set DB_PATH (or DATA_DIR) to a writable place.`;
    }
    if (code.startsWith('SQLITE_CORRUPT')) {
      return `database ${path} is corrupt (${detail}). Restore it from a backup, or move it aside to start a new one.`;
    }
    if (code.startsWith('SQLITE_FULL')) {
      return `database ${path} cannot be opened: the disk is full. Free some space, then start again.`;
    }
    return `cannot open database ${path}: ${detail}${code === '' ? '' : ` (${code})`}. Check the file and its folder, or set DB_PATH to another place.`;
  })();
  return new DatabaseOpenError(message, path, { cause: error });
}
