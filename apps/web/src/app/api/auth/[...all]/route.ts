import { handleAuthRequest } from '@/server/auth/auth-handler';

export { handleAuthRequest as GET, handleAuthRequest as POST };
