import { z } from 'zod';
import { routeItem } from './notification.schema';

export const listRoutesOutput = z.array(routeItem);
