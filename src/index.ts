/** The Action's entry point (action.yml runs the bundle of this file). */
import { run } from "./action/entry";

void run();
