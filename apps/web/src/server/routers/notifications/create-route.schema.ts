import { routeItem, routeSettings } from './notification.schema';

export const createRouteInput = routeSettings;
export const createRouteOutput = routeItem;
