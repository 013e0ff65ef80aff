import { handleTRPCRequest } from '@/server/trpc-handler';

export { handleTRPCRequest as GET, handleTRPCRequest as POST };
